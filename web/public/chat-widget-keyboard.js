/* Keyboard and screen-reader access to the rasa-webchat widget's quick replies; part of the
   embed snippet (see docs/channels.md). rasa-webchat 1.0.1 renders each quick reply as a plain
   <div class="rw-reply"> with only a click handler: no tab stop, no key handling, no role.
   This gives every such div role="button" and tabindex="0" as the widget adds it, and
   presses it with Enter (on keydown) or Space (on keyup, without scrolling the page), as
   a native button does. The widget removes a message's quick replies once one is chosen
   (and shows them only under the latest message), so no used reply stays in the tab order;
   when the pressed one disappears, focus moves to the message field, from which Shift+Tab
   reaches the next question's replies.

   Screen readers: the widget's message list is not a live region, so new bot messages were
   silent. This makes it a polite log (role="log", aria-live="polite", a name) as the widget
   renders it, so each new message is read once the screen reader is idle. The emergency
   instruction (the only bot message whose wording has a tel: link of its own, as in
   chat-widget.css) is also copied into our own visually hidden role="alert" region, which
   interrupts. Why a region of our own rather than role="alert" on the message: screen
   readers announce changes to a live region that was already in the page, reliably; an
   element that gains role="alert" after it is rendered, nested inside the polite log, is
   announced by some and not others. The message stays in the log too, so the patient may
   hear it twice, and finds it there again.

   The launcher: rasa-webchat 1.0.1 draws it as an icon with an empty alt, so a screen reader
   read "button" and a sighted patient had to guess. It gets a visible label (styled in
   chat-widget.css) and the same words as its accessible name. */
(function () {
  "use strict";

  var REPLY = "div.rw-reply";
  var INPUT = ".rw-new-message";
  var MESSAGES = ".rw-messages-container";
  var BOT_MESSAGE = ".rw-response";
  var EMERGENCY_LINK = 'a[href^="tel:"]:not(.dvt-phone-link)'; // see chat-widget.css
  var LAUNCHER = ".rw-launcher";
  var LAUNCHER_LABEL = "Chat: check your symptoms";
  var pressed = null; // the reply last pressed from the keyboard, until it leaves the page

  function makeButton(el) {
    if (el.getAttribute("role") !== "button") el.setAttribute("role", "button");
    if (el.getAttribute("tabindex") !== "0") el.setAttribute("tabindex", "0");
  }

  function within(root, selector) {
    var found = Array.prototype.slice.call(root.querySelectorAll(selector));
    if (root.matches(selector)) found.unshift(root);
    return found;
  }

  function labelLauncher(button) {
    if (button.getAttribute("aria-label") !== LAUNCHER_LABEL) button.setAttribute("aria-label", LAUNCHER_LABEL);
    if (button.querySelector(".dvt-launcher-label")) return;
    var label = document.createElement("span");
    label.className = "dvt-launcher-label";
    label.textContent = LAUNCHER_LABEL;
    button.appendChild(label);
  }

  function makeLog(el) {
    el.setAttribute("role", "log");
    el.setAttribute("aria-live", "polite");
    el.setAttribute("aria-label", "Conversation with the assistant");
  }

  // Created at start, long before an emergency, so that its change is announced.
  var alertRegion = document.createElement("div");
  alertRegion.className = "dvt-chat-alert";
  alertRegion.setAttribute("role", "alert");
  alertRegion.setAttribute("aria-live", "assertive");
  alertRegion.setAttribute("aria-atomic", "true");
  var announced = new WeakSet();

  function announce(message) {
    if (announced.has(message)) return;
    announced.add(message);
    var text = document.createElement("p"); // a new node each time: a repeat is read again
    text.textContent = message.textContent;
    alertRegion.replaceChildren(text);
  }

  function upgrade(root) {
    if (root.nodeType !== 1) return;
    within(root, REPLY).forEach(makeButton);
    within(root, MESSAGES).forEach(makeLog);
    within(root, LAUNCHER).forEach(labelLauncher);
    within(root, EMERGENCY_LINK).forEach(function (link) {
      var message = link.closest(BOT_MESSAGE);
      if (message) announce(message);
    });
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
    document.body.appendChild(alertRegion);
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
