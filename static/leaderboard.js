// Keeps the server-rendered leaderboard live: listens on
// ws(s)://<host>/ws/rankings/<period>/ and moves rows to their new place
// with a short FLIP animation. Without JavaScript the page still works; it
// just does not move until reloaded.
//
// Messages: {"type": "snapshot", "period", "key", "rows": [...]} on connect
// (the whole top of the board), then {"type": "rows", "period", "key",
// "rows": [{"rank", "user", "display_name", "steps"}]} as people sync, and
// {"type": "revoked", "period", "key", "user"} when someone may no longer be
// shown here (they went private, or their account went): drop their row.
// Ranks are recomputed here from the rows shown (ties share a rank: 1, 2, 2, 4),
// so the page stays right whatever the feed's ranks were computed against.
(function () {
  "use strict";

  var table = document.getElementById("board");
  if (!table || !("WebSocket" in window)) return;

  var tbody = table.tBodies[0];
  var period = table.dataset.period;
  var key = table.dataset.key;
  var me = table.dataset.me;
  var maxRows = parseInt(table.dataset.rows, 10) || 100;
  var statusRegion = document.getElementById("board-status");
  var emptyNote = document.getElementById("board-empty");
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var numbers = new Intl.NumberFormat("en-US");
  var MOVE_MS = 450;

  // The board as shown, in order: [{user, name, steps}].
  var rows = Array.prototype.map.call(tbody.rows, function (tr) {
    return { user: tr.dataset.user, name: tr.dataset.name, steps: parseInt(tr.dataset.steps, 10) };
  });

  function ranks(list) {
    var out = [];
    for (var i = 0; i < list.length; i++) {
      out.push(i > 0 && list[i].steps === list[i - 1].steps ? out[i - 1] : i + 1);
    }
    return out;
  }

  function rowElement(row) {
    var tr = document.createElement("tr");
    tr.dataset.user = row.user;
    var rank = document.createElement("td");
    rank.className = "rank";
    var name = document.createElement("th");
    name.scope = "row";
    name.className = "name";
    var steps = document.createElement("td");
    steps.className = "steps";
    tr.append(rank, name, steps);
    return tr;
  }

  function fill(tr, row, rank) {
    tr.dataset.steps = String(row.steps);
    tr.dataset.name = row.name;
    tr.cells[0].textContent = String(rank);
    var name = tr.cells[1];
    name.textContent = row.name;
    if (row.user === me) {
      var you = document.createElement("span");
      you.className = "you";
      you.textContent = " (you)";
      name.append(you);
      tr.classList.add("me");
      tr.setAttribute("aria-current", "true");
    }
    tr.cells[2].textContent = numbers.format(row.steps);
  }

  // FLIP: note where each row is (First), put rows in their new order (Last),
  // shift each back to where it was (Invert), then let it slide home (Play).
  function applyRevoked(user) {
    var before = rows.length;
    rows = rows.filter(function (row) {
      return row.user !== user;
    });
    if (rows.length !== before) render();
  }

  function render(changedUsers) {
    var existing = {};
    var before = {};
    Array.prototype.forEach.call(tbody.rows, function (tr) {
      existing[tr.dataset.user] = tr;
      before[tr.dataset.user] = tr.getBoundingClientRect().top;
    });
    var rankList = ranks(rows);
    var keep = {};
    rows.forEach(function (row, i) {
      var tr = existing[row.user] || rowElement(row);
      fill(tr, row, rankList[i]);
      tbody.appendChild(tr); // moves an existing row into place
      keep[row.user] = true;
    });
    Object.keys(existing).forEach(function (user) {
      if (!keep[user]) existing[user].remove();
    });
    if (emptyNote) emptyNote.hidden = rows.length > 0;
    updateMyPlace();

    Array.prototype.forEach.call(tbody.rows, function (tr) {
      var user = tr.dataset.user;
      if (changedUsers && changedUsers[user]) {
        tr.classList.remove("changed");
        void tr.offsetWidth; // restart the highlight
        tr.classList.add("changed");
      }
      if (reduceMotion || !(user in before)) return;
      var shift = before[user] - tr.getBoundingClientRect().top;
      if (!shift) return;
      tr.style.transition = "none";
      tr.style.transform = "translateY(" + shift + "px)";
      requestAnimationFrame(function () {
        requestAnimationFrame(function () {
          tr.style.transition = "transform " + MOVE_MS + "ms ease";
          tr.style.transform = "";
        });
      });
    });
  }

  // "You are #2 with 9,000 steps; 1,001 more to pass the person above you."
  function updateMyPlace() {
    var place = document.getElementById("my-place");
    var at = rows.findIndex(function (row) { return row.user === me; });
    if (!place || !me || at < 0) return;
    var rank = ranks(rows)[at];
    var strong = function (text) {
      var element = document.createElement("strong");
      element.textContent = text;
      return element;
    };
    var parts = ["You are ", strong("#" + rank), " with ", strong(numbers.format(rows[at].steps)), " steps"];
    if (at > 0) parts.push("; " + numbers.format(rows[at - 1].steps - rows[at].steps + 1) + " more to pass the person above you");
    parts.push(".");
    place.replaceChildren.apply(place, parts);
  }

  function announce(text) {
    if (statusRegion) statusRegion.textContent = text;
  }

  function applyRows(updates) {
    var changed = {};
    var messages = [];
    updates.forEach(function (update) {
      var at = rows.findIndex(function (row) { return row.user === update.user; });
      var wasShown = at >= 0;
      if (wasShown) rows.splice(at, 1);
      if (update.steps <= 0) return;
      // Whoever reached a count first stays first: a fresh count goes after equal ones.
      var place = rows.findIndex(function (row) { return row.steps < update.steps; });
      if (place < 0) place = rows.length;
      if (place >= maxRows && !wasShown) return; // below the part of the board shown
      rows.splice(place, 0, { user: update.user, name: update.display_name, steps: update.steps });
      changed[update.user] = true;
      messages.push({ user: update.user, name: update.display_name, steps: update.steps });
    });
    if (rows.length > maxRows) rows.length = maxRows;
    render(changed);
    var rankList = ranks(rows);
    var spoken = messages.slice(0, 2).map(function (m) {
      var i = rows.findIndex(function (row) { return row.user === m.user; });
      var who = m.user === me ? "You" : m.name;
      return i < 0 ? "" : who + ": rank " + rankList[i] + ", " + numbers.format(m.steps) + " steps.";
    });
    announce(spoken.join(" ").trim());
  }

  function applySnapshot(list) {
    rows = list.slice(0, maxRows).map(function (row) {
      return { user: row.user, name: row.display_name, steps: row.steps };
    });
    render(null);
  }

  var attempt = 0;
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var url = scheme + location.host + "/ws/rankings/" + encodeURIComponent(period) + "/?date=" +
      encodeURIComponent(table.dataset.date || "");
    var socket = new WebSocket(url);
    socket.onopen = function () {
      attempt = 0;
      table.dataset.live = "connected";
    };
    socket.onmessage = function (event) {
      var message;
      try {
        message = JSON.parse(event.data);
      } catch (err) {
        return;
      }
      if (message.period !== period || message.key !== key) return;
      if (message.type === "snapshot") applySnapshot(message.rows || []);
      else if (message.type === "rows") applyRows(message.rows || []);
      else if (message.type === "revoked") applyRevoked(message.user);
    };
    socket.onclose = function () {
      table.dataset.live = "reconnecting";
      // Back off 1 s, 2 s, 4 s … up to 30 s, with jitter so a restarted
      // server is not hit by every page at the same instant.
      var delay = Math.min(30000, 1000 * Math.pow(2, attempt)) * (0.5 + Math.random() / 2);
      attempt += 1;
      setTimeout(connect, delay);
    };
  }
  connect();
})();
