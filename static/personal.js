// Keeps today's ring on the personal page live: listens on
// ws(s)://<host>/ws/live/?users=<me> (a snapshot of today's total on connect,
// then {"type": "steps", "user", "date", "steps"} as phones sync) and redraws
// the arc, the percentage and the numbers. Without JavaScript the page is
// complete, as of when it was served. The 30 days, streaks and totals wait
// for a reload: they change once a day, not with every sync.
(function () {
  "use strict";

  var today = document.getElementById("today");
  if (!today || !("WebSocket" in window)) return;

  var me = today.dataset.me;
  var day = today.dataset.date;
  var goal = parseInt(today.dataset.goal, 10);
  var circumference = parseFloat(today.dataset.circumference);
  var shown = parseInt(today.dataset.steps, 10);
  var numbers = new Intl.NumberFormat(document.documentElement.lang || "en");
  var fill = document.getElementById("ring-fill");
  var percentText = document.getElementById("ring-percent");
  var desc = document.getElementById("ring-desc");
  var stepsText = document.querySelector("#today-numbers strong");
  var reachedNote = document.getElementById("reached-note");

  function show(steps) {
    // Counts only grow (max-wins); an older message never takes one back.
    if (!(steps > shown)) return;
    shown = steps;
    var share = goal > 0 ? steps / goal : 0;
    var percent = Math.floor(share * 100);
    var reached = goal > 0 && steps >= goal;
    fill.setAttribute("stroke-dasharray", (circumference * Math.min(share, 1)).toFixed(2) + " " + circumference);
    fill.setAttribute("stroke", reached ? "#14532d" : "#16a34a");
    percentText.textContent = percent + "%";
    desc.textContent = today.dataset.desc.replace("{steps}", numbers.format(steps)).replace("{percent}", String(percent));
    if (stepsText) stepsText.textContent = numbers.format(steps);
    if (reachedNote) reachedNote.hidden = !reached;
    today.dataset.steps = String(steps);
  }

  function apply(entry) {
    if (entry && entry.user === me && entry.date === day) show(entry.steps);
  }

  liveSocket("/ws/live/?users=" + encodeURIComponent(me), today, function (message) {
    if (message.type === "snapshot") (message.totals || []).forEach(apply);
    else if (message.type === "steps") apply(message);
  });
})();
