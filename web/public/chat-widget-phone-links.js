/* Tap-to-call phone numbers in the assistant's messages; part of the embed snippet (see
   docs/channels.md). The responses give the clinic's number as plain text (the same wording serves SMS
   and the terminal), so on a phone it could not be tapped. This turns every phone-number-shaped
   run of text in a bot message into a tel: link, whatever number the clinic configured:

     925-477-3030   (925) 477-3030   925.477.3030   +1 925 477 3030   1-800-555-0199   +44 20 7946 0958

   A number is digit groups with single spaces, dots or hyphens between them (optionally a
   +country code and an area code in brackets), the last group 3 or 4 digits long, or one run
   of digits; 7 to 15 digits in all (the E.164 maximum). So dates (2024-05-01), doses, counts
   and short codes stay text; in particular a bare emergency number ("call 911 now") is not
   linked: the emergency instruction carries its own tel: link, which chat-widget.css and
   chat-widget-keyboard.js tell from these by the class dvt-phone-link. Text already inside a
   link is left alone, and what the user typed is never touched (.rw-client). */
(function () {
  "use strict";

  var BOT_MESSAGE_TEXT = ".rw-response .rw-message-text";
  var PHONE = /(?<![\w+.\-])(?:(?:\+?\d{1,3}[ .\-]?)?(?:\(\d{2,4}\)[ .\-]?|\d{2,4}[ .\-])(?:\d{2,4}[ .\-]){0,3}\d{3,4}|\+?\d{7,15})(?![\w\-]|[.,]\d)/g;
  var MIN_DIGITS = 7;
  var MAX_DIGITS = 15;

  /** The tel: address of a number as written: its digits, with the + if it has one. */
  function telHref(number) {
    var digits = number.replace(/\D/g, "");
    if (digits.length < MIN_DIGITS || digits.length > MAX_DIGITS) return null;
    return "tel:" + (number.trim().charAt(0) === "+" ? "+" : "") + digits;
  }

  function linkNumbersIn(textNode) {
    var text = textNode.nodeValue;
    var fragment = null;
    var last = 0;
    PHONE.lastIndex = 0;
    var match;
    while ((match = PHONE.exec(text)) !== null) {
      var href = telHref(match[0]);
      if (!href) continue;
      fragment = fragment || document.createDocumentFragment();
      fragment.appendChild(document.createTextNode(text.slice(last, match.index)));
      var link = document.createElement("a");
      link.className = "dvt-phone-link";
      link.href = href;
      link.textContent = match[0];
      fragment.appendChild(link);
      last = match.index + match[0].length;
    }
    if (!fragment) return;
    fragment.appendChild(document.createTextNode(text.slice(last)));
    textNode.parentNode.replaceChild(fragment, textNode);
  }

  function linkNumbersWithin(root) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
      acceptNode: function (node) {
        return node.parentElement && node.parentElement.closest("a")
          ? NodeFilter.FILTER_REJECT
          : NodeFilter.FILTER_ACCEPT;
      },
    });
    var texts = [];
    while (walker.nextNode()) texts.push(walker.currentNode);
    texts.forEach(linkNumbersIn); // collected first: replacing nodes while walking loses the place
  }

  function upgrade(node) {
    var element = node.nodeType === 1 ? node : node.parentElement;
    if (!element) return;
    var inMessage = element.closest(BOT_MESSAGE_TEXT);
    if (inMessage) {
      linkNumbersWithin(inMessage);
      return;
    }
    element.querySelectorAll(BOT_MESSAGE_TEXT).forEach(linkNumbersWithin);
  }

  function start() {
    upgrade(document.body);
    new MutationObserver(function (mutations) {
      for (var i = 0; i < mutations.length; i += 1) {
        var added = mutations[i].addedNodes;
        for (var j = 0; j < added.length; j += 1) upgrade(added[j]);
      }
    }).observe(document.body, { childList: true, subtree: true });
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
