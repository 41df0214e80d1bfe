"""BatchMail's NiceGUI pages. Importing this package does not import NiceGUI, which reads NICEGUI_STORAGE_PATH
when it is first imported: app.py sets that variable, then calls `ui.app.run_app`, which registers the pages
(`ui.pages.register_pages`) and serves them."""
