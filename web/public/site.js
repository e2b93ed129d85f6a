/* The example clinic page: keeps the chat clear of the page's emergency notice on a phone.
   There the widget opens full screen, which would hide the notice; site.css pins the notice
   to the top of the screen while the chat is open and starts the chat below it. How far
   below depends on how the notice's text wraps on that screen, so this measures it into
   --emergency-callout-height whenever its size changes. */
(function () {
  "use strict";

  function start() {
    var callout = document.querySelector(".alert");
    if (!callout) return;
    var root = document.documentElement;
    function measure() {
      root.style.setProperty("--emergency-callout-height", callout.getBoundingClientRect().height + "px");
    }
    new ResizeObserver(measure).observe(callout);
    measure();
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
