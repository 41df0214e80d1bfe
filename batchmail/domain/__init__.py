"""The users' domain as plain records and pure rules: pieces, contacts, the issuing company, money and VAT,
numbering, keywords, selection and summaries. No file, no network, no clock unless it is passed in."""
