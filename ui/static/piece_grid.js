// The pieces grid in the browser: AG Grid's infinite row model, fed one block of rows at a time by the server as
// the user scrolls (the rows never sit in the page), and a selection that can stand for "every matching piece"
// (the All button) without the browser holding them all. The server is only ever told ids: the ticked ones, or
// "all, except these" (NiceGUI caps a browser-to-server message at 1 MB).
// The first block of rows comes with the page and with each reset ({rows, total, sort, descending}): it is shown
// at once when the grid asks for rows from 0 in that order, without a round trip to the server.
window.BatchMailGrid = (() => {
  const grids = new Map();
  // Grids whose block from the page was shown, or outdated by a reset: a grid built again later (NiceGUI builds a
  // grid added after the page loaded twice) gets it only until then.
  const preloadDone = new Set();

  // During the first mount NiceGUI's app is not reachable yet: wait for it rather than lose the request.
  function emit(id, name, payload) {
    const element = typeof mounted_app === "undefined" ? undefined : getElement(id);
    if (element) element.$emit(name, payload);
    else setTimeout(() => emit(id, name, payload), 20);
  }

  function api(id) {
    return getElement(id)?.api;
  }

  function countChanged(id) {
    const state = grids.get(id);
    const grid = api(id);
    if (!state || !grid) return;
    const count = state.all ? Math.max(state.total - state.excluded.size, 0) : grid.getSelectedNodes().length;
    if (count !== state.lastCount) {
      state.lastCount = count;
      emit(id, "selectionCount", count);
    }
  }

  function show(id, state, params, rows, total) {
    state.total = total;
    params.successCallback(rows, total);
    if (state.all) {
      const grid = api(id);
      for (const row of rows) {
        if (!state.excluded.has(row.id)) grid?.getRowNode(String(row.id))?.setSelected(true, false, "api");
      }
    }
    countChanged(id);
  }

  return {
    datasource(id, first) {
      const state = { pending: new Map(), seq: 0, all: false, excluded: new Set(), total: 0, lastCount: 0 };
      if (first && !preloadDone.has(id)) state.ready = first;
      grids.set(id, state);
      return {
        getRows(params) {
          const sortModel = params.sortModel[0];
          const sort = sortModel ? sortModel.colId : null;
          const descending = sortModel ? sortModel.sort === "desc" : true;
          const ready = state.ready;
          state.ready = null;
          if (ready && params.startRow === 0 && ready.sort === sort && ready.descending === descending) {
            preloadDone.add(id);
            show(id, state, params, ready.rows, ready.total);
            return;
          }
          const request = ++state.seq;
          state.pending.set(request, params);
          emit(id, "rowsWanted", { request, start: params.startRow, end: params.endRow, sort, descending });
        },
      };
    },

    deliver(id, request, rows, total) {
      const state = grids.get(id);
      const params = state?.pending.get(request);
      if (!params) return; // asked for before the filters changed
      state.pending.delete(request);
      show(id, state, params, rows, total);
    },

    // New filters: other rows, nothing selected; `first`, when given, is shown without asking the server.
    reset(id, first) {
      const state = grids.get(id);
      const grid = api(id);
      if (!state || !grid) return;
      preloadDone.add(id);
      state.pending.clear();
      state.ready = first;
      state.all = false;
      state.excluded.clear();
      grid.deselectAll();
      grid.purgeInfiniteCache();
      countChanged(id);
    },

    // Same filters, rows changed (the batch, a send): fetch the blocks again, keep the selection and the scroll.
    refresh(id) {
      api(id)?.refreshInfiniteCache();
    },

    // All: every matching piece, loaded or not; None: nothing.
    selectAll(id, all) {
      const state = grids.get(id);
      const grid = api(id);
      if (!state || !grid) return;
      state.all = all;
      state.excluded.clear();
      if (all) grid.forEachNode((node) => node.data && node.setSelected(true, false, "api"));
      else grid.deselectAll();
      countChanged(id);
    },

    selection(id) {
      const state = grids.get(id);
      const grid = api(id);
      if (!state || !grid) return { all: false, ids: [], excluded: [] };
      return {
        all: state.all,
        ids: state.all ? [] : grid.getSelectedNodes().map((node) => node.data.id),
        excluded: [...state.excluded],
      };
    },

    // With All on, unticking a row leaves it out; a plain click (which keeps one row) ends All.
    rowSelected(id, event) {
      const state = grids.get(id);
      if (!state?.all || event.source === "api" || !event.node.data) return;
      if (event.node.isSelected()) state.excluded.delete(event.node.data.id);
      else state.excluded.add(event.node.data.id);
    },

    selectionChanged(id, event) {
      const state = grids.get(id);
      if (state?.all && event.source === "rowClicked" && event.api.getSelectedNodes().length <= 1) {
        state.all = false;
        state.excluded.clear();
      }
      countChanged(id);
    },

    contextMenu(id, event) {
      const data = event.data;
      emit(id, "rowMenu", { id: data?.id ?? null, contact: data?.contact_id ?? null, selected: !!event.node?.isSelected() });
    },

    open(id, event) {
      if (event.data) emit(id, "openPiece", event.data.id);
    },
  };
})();
