/* Keyboard and screen-reader access to the rasa-webchat widget's quick replies; part of the
   embed snippet (see README). rasa-webchat 1.0.1 renders each quick reply as a plain
   <div class="rw-reply"> with only a click handler: no tab stop, no key handling, no role.
   This gives every such div role="button" and tabindex="0" as the widget adds it, and
   presses it with Enter (on keydown) or Space (on keyup, without scrolling the page), as
   a native button does. The widget removes a message's quick replies once one is chosen
   (and shows them only under the latest message), so no used reply stays in the tab order;
   when the pressed one disappears, focus moves to the message field, from which Shift+Tab
   reaches the next question's replies. */
(function () {
  "use strict";

  var REPLY = "div.rw-reply";
  var INPUT = ".rw-new-message";
  var pressed = null; // the reply last pressed from the keyboard, until it leaves the page

  function makeButton(el) {
    if (el.getAttribute("role") !== "button") el.setAttribute("role", "button");
    if (el.getAttribute("tabindex") !== "0") el.setAttribute("tabindex", "0");
  }

  function upgrade(root) {
    if (root.nodeType !== 1) return;
    if (root.matches(REPLY)) makeButton(root);
    var replies = root.querySelectorAll(REPLY);
    for (var i = 0; i < replies.length; i += 1) makeButton(replies[i]);
  }

  function replyOf(event) {
    var target = event.target;
    return target && target.nodeType === 1 && target.matches(REPLY) ? target : null;
  }

  function press(reply) {
    pressed = reply;
    reply.click();
    keepFocus();
  }

  // Once the pressed reply is gone, focus would fall back to the page's <body>.
  function keepFocus() {
    if (!pressed || pressed.isConnected) return;
    pressed = null;
    var active = document.activeElement;
    var input = document.querySelector(INPUT);
    if ((!active || active === document.body) && input && !input.disabled) input.focus();
  }

  document.addEventListener("keydown", function (event) {
    var reply = replyOf(event);
    if (!reply || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "Enter") {
      event.preventDefault();
      if (!event.repeat) press(reply);
    } else if (event.key === " ") {
      event.preventDefault(); // Space would scroll the page
    }
  });

  document.addEventListener("keyup", function (event) {
    var reply = replyOf(event);
    if (reply && event.key === " " && !event.altKey && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      press(reply);
    }
  });

  function start() {
    upgrade(document.body);
    new MutationObserver(function (mutations) {
      for (var i = 0; i < mutations.length; i += 1) {
        var added = mutations[i].addedNodes;
        for (var j = 0; j < added.length; j += 1) upgrade(added[j]);
      }
      keepFocus();
    }).observe(document.body, { childList: true, subtree: true });
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
