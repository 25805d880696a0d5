// The live socket every page keeps: window.liveSocket(path, element, onMessage)
// opens ws(s)://<host><path>, hands each JSON message to onMessage, and says on
// element.dataset.live whether it is "connected" or "reconnecting" (a test, or
// a style, can tell). A dropped socket comes back after 1 s, 2 s, 4 s … up to
// 30 s, with jitter, so a restarted server is not hit by every page at the
// same instant. A close the server means for good (4400 a bad request, 4401
// signed out, 4404 no such board) is not retried: the page stays as it is.
(function () {
  "use strict";

  var FINAL_CLOSE_CODES = [4400, 4401, 4404];

  window.liveSocket = function (path, element, onMessage) {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var attempt = 0;
    function connect() {
      var socket = new WebSocket(scheme + location.host + (typeof path === "function" ? path() : path));
      socket.onopen = function () {
        attempt = 0;
        element.dataset.live = "connected";
      };
      socket.onmessage = function (event) {
        var message;
        try {
          message = JSON.parse(event.data);
        } catch (err) {
          return;
        }
        onMessage(message);
      };
      socket.onclose = function (event) {
        if (FINAL_CLOSE_CODES.indexOf(event.code) !== -1) {
          element.dataset.live = "closed";
          return;
        }
        element.dataset.live = "reconnecting";
        var delay = Math.min(30000, 1000 * Math.pow(2, attempt)) * (0.5 + Math.random() / 2);
        attempt += 1;
        setTimeout(connect, delay);
      };
    }
    connect();
  };
})();
