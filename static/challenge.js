// Keeps a challenge page's tables live: listens on ws(s)://<host>/ws/challenges/<id>/
// and, for each "rows" message, updates the people it names and every team,
// then re-orders the tables by score (ties share a rank: 1, 2, 2, 4; the server's
// order stands within a tie). Without JavaScript the page still works; it just
// does not move until reloaded. Final challenges have nothing to listen to.
(function () {
  "use strict";

  var board = document.getElementById("board");
  if (!board || !board.dataset.live || !("WebSocket" in window)) return;
  var teams = document.getElementById("teams");
  var statusRegion = document.getElementById("board-status");
  var numbers = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

  function scoreCell(tr) {
    return tr.cells[tr.cells.length - 1];
  }

  function reorder(table) {
    var tbody = table.tBodies[0];
    var rows = Array.prototype.slice.call(tbody.rows);
    rows.sort(function (a, b) { return parseFloat(b.dataset.score) - parseFloat(a.dataset.score); });
    var previous = null, rank = 0;
    rows.forEach(function (tr, i) {
      var score = parseFloat(tr.dataset.score);
      if (previous === null || score !== previous) rank = i + 1;
      previous = score;
      tr.cells[0].textContent = rank;
      tbody.appendChild(tr);
    });
  }

  function remember(table) {
    if (!table) return;
    Array.prototype.forEach.call(table.tBodies[0].rows, function (tr) {
      tr.dataset.score = scoreCell(tr).textContent.replace(/,/g, "");
    });
  }

  function apply(rows) {
    var moved = 0;
    rows.forEach(function (row) {
      var selector = row.scope === "teams" ? 'tr[data-team="' + row.team + '"]' : 'tr[data-user="' + row.user + '"]';
      var table = row.scope === "teams" ? teams : board;
      if (!table || row.scope === "summary") return;
      var tr = table.querySelector(selector);
      if (!tr) return;
      if (parseFloat(tr.dataset.score) !== row.score) moved++;
      tr.dataset.score = row.score;
      scoreCell(tr).textContent = numbers.format(row.score);
      tr.classList.remove("changed");
      void tr.offsetWidth;
      tr.classList.add("changed");
    });
    reorder(board);
    if (teams) reorder(teams);
    if (moved && statusRegion) statusRegion.textContent = (statusRegion.dataset.updated || "{count} row(s) updated.").replace("{count}", moved);
  }

  remember(board);
  remember(teams);
  liveSocket("/ws/challenges/" + board.dataset.challenge + "/", board, function (message) {
    if (message.type === "rows") apply(message.rows);
  });
})();
