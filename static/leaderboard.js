// Keeps the server-rendered leaderboard live: listens on
// ws(s)://<host>/ws/rankings/<period>/?date=<board's last day> and moves rows
// to their new place with a short FLIP animation (none when the reader asks
// for reduced motion). Without JavaScript the page still works; it just does
// not move until reloaded.
//
// Messages: {"type": "snapshot", "period", "key", "rows": [...]} on connect
// (the top of the board), then {"type": "rows", "period", "key",
// "rows": [{"rank", "user", "display_name", "steps", "goal"}]} as people sync,
// and {"type": "revoked", "period", "key", "user"} when someone may no longer
// be shown here: drop their row.
//
// data-live-mode="board" (page 1 of everyone's board): rows come and go as
// the feed says. "rows" (friends, later pages, a search): the feed is the
// public top of the board, so only the rows already shown are updated.
// Ranks are recomputed here from the rows shown (ties share a rank: 1, 2, 2, 4).
// Every word shown comes from the page (#board-texts), in its language.
(function () {
  "use strict";

  var table = document.getElementById("board");
  var textsNode = document.getElementById("board-texts");
  if (!table || !textsNode || !("WebSocket" in window)) return;

  var texts = JSON.parse(textsNode.textContent);
  var tbody = table.tBodies[0];
  var period = table.dataset.period;
  var key = table.dataset.key;
  var me = table.dataset.me;
  var mode = table.dataset.liveMode;
  var offset = parseInt(table.dataset.offset, 10) || 0;
  var leaderElsewhere = parseInt(table.dataset.leader, 10) || 0; // the leader when not on this page
  var maxRows = parseInt(table.dataset.rows, 10) || 100;
  var statusRegion = document.getElementById("board-status");
  var emptyNote = document.getElementById("board-empty");
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var numbers = new Intl.NumberFormat(document.documentElement.lang || "en");
  var SVG = "http://www.w3.org/2000/svg";
  var MOVE_MS = 450;

  function format(template, values) {
    return template.replace(/%(?:\((\w+)\)s|%)/g, function (match, name) {
      return name ? String(values[name]) : "%";
    });
  }

  // The same, with some values as elements (e.g. <strong>): a list for append().
  function formatParts(template, values) {
    return template.split(/(%\(\w+\)s)/).map(function (part) {
      var name = /^%\((\w+)\)s$/.exec(part);
      return name ? values[name[1]] : part.replace(/%%/g, "%");
    }).filter(function (part) { return part !== ""; });
  }

  function rowOf(tr) {
    return {
      user: tr.dataset.user,
      name: tr.dataset.name,
      steps: parseInt(tr.dataset.steps, 10),
      goal: parseInt(tr.dataset.goal, 10) || 0,
      yesterday: tr.dataset.yesterday ? parseInt(tr.dataset.yesterday, 10) : null,
    };
  }

  var rows = Array.prototype.map.call(tbody.rows, rowOf);
  var firstRank = tbody.rows.length ? parseInt(tbody.rows[0].cells[0].textContent, 10) || offset + 1 : offset + 1;

  function ranks(list) {
    var out = [];
    for (var i = 0; i < list.length; i++) {
      out.push(i > 0 && list[i].steps === list[i - 1].steps ? out[i - 1] : (i === 0 ? firstRank : offset + i + 1));
    }
    return out;
  }

  function svgRect(className, x, y, width, height) {
    var rect = document.createElementNS(SVG, "rect");
    rect.setAttribute("class", className);
    rect.setAttribute("x", x);
    rect.setAttribute("y", y);
    rect.setAttribute("width", width);
    rect.setAttribute("height", height);
    return rect;
  }

  function rowElement(row) {
    var tr = document.createElement("tr");
    tr.dataset.user = row.user;
    var rank = document.createElement("td");
    rank.className = "rank";
    var move = document.createElement("td");
    move.className = "move";
    var name = document.createElement("th");
    name.scope = "row";
    name.className = "name";
    var who = document.createElement("span");
    who.className = "who";
    var bar = document.createElementNS(SVG, "svg");
    bar.setAttribute("class", "bar");
    bar.setAttribute("viewBox", "0 0 100 8");
    bar.setAttribute("preserveAspectRatio", "none");
    bar.setAttribute("aria-hidden", "true");
    bar.setAttribute("focusable", "false");
    bar.append(svgRect("bar-track", 0, 1, 100, 6), svgRect("bar-steps", 0, 1, 0, 6), svgRect("bar-goal", 0, 0, 1.2, 8));
    var goalText = document.createElement("span");
    goalText.className = "goal-text";
    name.append(who, bar, goalText);
    var steps = document.createElement("td");
    steps.className = "steps";
    tr.append(rank, move, name, steps);
    return tr;
  }

  function percent(value, scale) {
    return scale ? Math.min(100, (100 * value) / scale).toFixed(1) : "0";
  }

  function movement(cell, before, now) {
    if (before === null) return; // unknown: leave what the server said
    var moved = before - now;
    var span = document.createElement("span");
    if (moved === 0) {
      span.className = "same";
      span.append(hidden("–", true), hidden(texts.same));
    } else {
      var up = moved > 0;
      span.className = up ? "up" : "down";
      span.append(hidden((up ? "▲" : "▼") + Math.abs(moved), true), hidden(format(up ? texts.up : texts.down, { n: Math.abs(moved) })));
    }
    cell.replaceChildren(span);
  }

  function hidden(text, fromReaders) {
    var span = document.createElement("span");
    if (fromReaders) span.setAttribute("aria-hidden", "true");
    else span.className = "visually-hidden";
    span.textContent = text;
    return span;
  }

  function fill(tr, row, rank, scale) {
    tr.dataset.steps = String(row.steps);
    tr.dataset.name = row.name;
    tr.dataset.goal = String(row.goal);
    tr.cells[0].textContent = String(rank);
    movement(tr.cells[1], row.yesterday, rank);
    var who = tr.cells[2].querySelector(".who");
    who.textContent = row.name;
    if (row.user === me) {
      var you = document.createElement("span");
      you.className = "you";
      you.textContent = texts.you;
      who.append(" ", you);
      tr.classList.add("me");
      tr.id = "my-row";
      tr.setAttribute("aria-current", "true");
    }
    tr.querySelector(".bar-steps").setAttribute("width", percent(row.steps, scale));
    tr.querySelector(".bar-goal").setAttribute("x", percent(row.goal, scale));
    tr.cells[2].querySelector(".goal-text").textContent = format(texts.goal_percent, {
      percent: row.goal ? Math.round((100 * row.steps) / row.goal) : 0,
    });
    tr.cells[3].textContent = numbers.format(row.steps);
  }

  function scaleOf() {
    var top = offset === 0 && mode === "board" && rows.length ? rows[0].steps : Math.max(leaderElsewhere, rows.length ? rows[0].steps : 0);
    return rows.reduce(function (most, row) { return Math.max(most, row.goal); }, Math.max(top, 1));
  }

  function applyRevoked(user) {
    var before = rows.length;
    rows = rows.filter(function (row) { return row.user !== user; });
    if (rows.length !== before) render();
  }

  // FLIP: note where each row is (First), put rows in their new order (Last),
  // shift each back to where it was (Invert), then let it slide home (Play).
  function render(changedUsers) {
    var existing = {};
    var before = {};
    Array.prototype.forEach.call(tbody.rows, function (tr) {
      existing[tr.dataset.user] = tr;
      before[tr.dataset.user] = tr.getBoundingClientRect().top;
    });
    var rankList = ranks(rows);
    var scale = scaleOf();
    var keep = {};
    rows.forEach(function (row, i) {
      var tr = existing[row.user] || rowElement(row);
      fill(tr, row, rankList[i], scale);
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

  function strong(text) {
    var element = document.createElement("strong");
    element.textContent = text;
    return element;
  }

  // "You are #2 with 9,000 steps; 1,001 more to pass the person above you."
  function updateMyPlace() {
    var place = document.getElementById("my-place");
    var at = rows.findIndex(function (row) { return row.user === me; });
    if (!place || !me || at < 0) return;
    var rank = ranks(rows)[at];
    var parts = formatParts(texts.my_place, { rank: strong(String(rank)), steps: strong(numbers.format(rows[at].steps)) });
    if (at > 0) parts = parts.concat(formatParts(texts.to_pass, { steps: numbers.format(rows[at - 1].steps - rows[at].steps + 1) }));
    parts.push(texts.end);
    place.replaceChildren.apply(place, parts);
    updateMyDay(rows[at].steps);
  }

  // Today's goal, when this is today's day board.
  function updateMyDay(steps) {
    var progress = document.getElementById("my-day-progress");
    if (!progress || period !== "day" || progress.dataset.day !== table.dataset.date) return;
    var goal = parseInt(progress.max, 10) || 1;
    var share = Math.min(100, Math.round((100 * steps) / goal));
    progress.value = Math.min(steps, goal);
    progress.textContent = share + "%";
    var label = document.querySelector("label[for='my-day-progress']");
    if (label) label.textContent = format(texts.my_day, { steps: numbers.format(steps), goal: numbers.format(goal), percent: share });
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
      if (mode !== "board" && !wasShown) return; // not on this view of the board
      var old = wasShown ? rows[at] : null;
      if (wasShown) rows.splice(at, 1);
      if (update.steps <= 0) return;
      // Whoever reached a count first stays first: a fresh count goes after equal ones.
      var place = rows.findIndex(function (row) { return row.steps < update.steps; });
      if (place < 0) place = rows.length;
      if (place >= maxRows && !wasShown) return; // below the part of the board shown
      rows.splice(place, 0, {
        user: update.user,
        name: update.display_name,
        steps: update.steps,
        goal: typeof update.goal === "number" ? update.goal : (old ? old.goal : 0),
        yesterday: old ? old.yesterday : null,
      });
      changed[update.user] = true;
      messages.push({ user: update.user, name: update.display_name, steps: update.steps });
    });
    if (rows.length > maxRows) rows.length = maxRows;
    if (!Object.keys(changed).length) return;
    render(changed);
    var rankList = ranks(rows);
    var spoken = messages.slice(0, 2).map(function (m) {
      var i = rows.findIndex(function (row) { return row.user === m.user; });
      var who = m.user === me ? texts.you_who : m.name;
      return i < 0 ? "" : format(texts.announce, { who: who, rank: rankList[i], steps: numbers.format(m.steps) });
    });
    announce(spoken.join(" ").trim());
  }

  function applySnapshot(list) {
    if (mode !== "board") {
      // Only what this view shows: the snapshot is the public top of the board.
      var shown = {};
      rows.forEach(function (row) { shown[row.user] = row; });
      var updates = list.filter(function (row) { return shown[row.user] && shown[row.user].steps !== row.steps; });
      if (updates.length) applyRows(updates);
      return;
    }
    var known = {};
    rows.forEach(function (row) { known[row.user] = row; });
    rows = list.slice(0, maxRows).map(function (row) {
      var old = known[row.user];
      return {
        user: row.user,
        name: row.display_name,
        steps: row.steps,
        goal: typeof row.goal === "number" ? row.goal : (old ? old.goal : 0),
        yesterday: old ? old.yesterday : null,
      };
    });
    render(null);
  }

  liveSocket(
    function () {
      return "/ws/rankings/" + encodeURIComponent(period) + "/?date=" + encodeURIComponent(table.dataset.date || "");
    },
    table,
    function (message) {
      if (message.period !== period || message.key !== key) return;
      if (message.type === "snapshot") applySnapshot(message.rows || []);
      else if (message.type === "rows") applyRows(message.rows || []);
      else if (message.type === "revoked") applyRevoked(message.user);
    }
  );
})();
