"""The clinic page in a real browser: Debian's chromium driven by Playwright, the rasa-webchat
widget talking to `rasa run` over socket.io with session persistence, as a patient meets it.

Run by `make test-web` (part of `make test`); screenshots go to results/screenshots/. The
README's two screenshots (docs/screenshots/) are copies of desktop-1280x800.png and
phone-390x844.png from there, made by hand when the page's look changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest
import yaml
from playwright.sync_api import Browser, Locator, Page, expect

from dvt_triage import clinic
from dvt_triage import slots as s
from harness.servers import ROOT, BIN, Server, free_port, start_actions, start_rasa, wait_until

SCREENSHOTS = ROOT / "results" / "screenshots"
REPLY_TIMEOUT_MS = 90_000  # the CPU is shared with other test runs

RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text())["responses"]
# The clinic the servers speak for (clinic.yml; the page server and Rasa read the same file).
CLINIC = clinic.current()
EMERGENCY = f"EMERGENCY: call {CLINIC.emergency_number}"
EMERGENCY_RED = "rgb(176, 0, 32)"  # web/public/chat-widget.css
# A bot message as the widget shows it (its "typing..." bubble has the same class).
BOT = ".rw-message:not(.rw-typing-indication) .rw-response"
LAUNCHER_LABEL = "Chat: check your symptoms"  # web/public/chat-widget-keyboard.js


def say(response: str) -> str:
    """The start of a response's default wording, with the clinic's details filled in: its
    first line, as the widget shows it, up to any slot placeholder ("{reasons}" is filled in)."""
    return CLINIC.fill(RESPONSES[response][0]["text"]).split("\n")[0].split("{")[0][:60]


@dataclass
class Site:
    page_url: str
    rasa_url: str


@dataclass
class Visit:
    """One patient's browser tab, with what it requested and any script it was made to run."""

    page: Page
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    tmp: Path = tmp_path_factory.mktemp("web")
    actions, actions_port = start_actions(tmp)
    web_port = free_port()
    page_url = f"http://127.0.0.1:{web_port}"
    rasa, rasa_port = start_rasa(tmp, actions_port, tmp / "trackers.db", cors=(page_url,))
    rasa_url = f"http://127.0.0.1:{rasa_port}"
    page_server = Server(
        [str(BIN / "python"), "web/server.py", "--port", str(web_port), "--socket-url", rasa_url],
        {"PATH": str(BIN)},
        tmp / f"web-{web_port}.log",
    )
    try:
        wait_until(f"{page_url}/", 60, page_server.proc, page_server.log)
        yield Site(page_url, rasa_url)
    finally:
        page_server.stop()
        rasa.stop()
        actions.stop()


@pytest.fixture
def visit(browser: Browser, site: Site) -> Iterator[Visit]:
    """A fresh tab (new browser storage, so a new conversation) with the chat open."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(REPLY_TIMEOUT_MS)
    page = context.new_page()
    v = Visit(page)
    context.on("request", lambda request: v.requests.append(request.url))
    page.on("dialog", lambda dialog: (v.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: v.errors.append(str(error)))
    page.goto(f"{site.page_url}/")
    page.click(".rw-launcher")
    bot_says(page, say("utter_greet"))
    yield v
    context.close()


def bot_says(page: Page, text: str) -> Locator:
    message = page.locator(BOT, has_text=text).last
    message.wait_for()
    return message


def click_reply(page: Page, title: str) -> None:
    """Click a quick-reply button of the latest bot message, by its exact title."""
    page.locator(".rw-replies").last.get_by_text(title, exact=True).click()


def type_message(page: Page, text: str) -> None:
    page.fill(".rw-new-message", text)
    page.press(".rw-new-message", "Enter")


def user_bubbles(page: Page) -> list[str]:
    return page.locator(".rw-client").all_inner_texts()


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), animations="disabled")


def assert_only_first_party(visit: Visit, site: Site) -> None:
    """No CDN, font or tracker: the page, the bundle and the socket come from our servers."""
    others = [u for u in visit.requests if not u.startswith((site.page_url, site.rasa_url, "data:"))]
    assert others == []


# A path to "needs a medical evaluation" with every button kind: "not sure" about kidney disease.
ANSWERS = {slot: "Yes" if slot in s.CONDITIONS else "No" for slot in s.FORM_SLOTS}
ANSWERS[s.EMERGENCY_SCREEN] = "No"
ANSWERS[s.FORM_SLOTS[-4]] = "Not sure"


def test_quick_replies_lead_to_an_outcome_and_a_reload_keeps_the_conversation(visit, site):
    page = visit.page
    click_reply(page, "Start the check")
    for slot in s.FORM_SLOTS:
        bot_says(page, say(f"utter_ask_{slot}"))
        assert page.locator(".rw-replies").last.locator(".rw-reply").all_inner_texts() == [
            "Yes",
            "No",
            "Not sure",
        ]
        if slot == s.EMERGENCY_SCREEN:
            screenshot(page, "widget-quick-replies.png")
        click_reply(page, ANSWERS[slot])
    # The read-back of the answers, one numbered line each, before any outcome.
    read_back = bot_says(page, say("utter_read_back"))
    assert f"{s.FORM_SLOTS[-4].replace('_', ' ').capitalize()}: unsure" in read_back.inner_text()
    screenshot(page, "widget-read-back.png")
    lines = re.findall(r"^(\d+)\. ", read_back.inner_text(), re.M)  # one line per answer, as shown
    assert lines == [str(n) for n in range(1, len(s.READ_BACK_ITEMS) + 1)], read_back.inner_text()
    bot_says(page, "Is this right?")
    screenshot(page, "widget-read-back.png")
    click_reply(page, "That's right")
    outcome = bot_says(page, say("utter_outcome_needs_evaluation"))
    bot_says(page, say("utter_outcome_more"))  # the outcome's last message
    outcome.evaluate("e => e.scrollIntoView({block: 'start'})")
    screenshot(page, "widget-outcome.png")
    click_reply(page, "Summary for my doctor")
    summary = bot_says(page, say("utter_answer_summary")).inner_text()
    # one line per answer, as shown (a plain newline would run them into one paragraph)
    assert len([line for line in summary.splitlines() if ": " in line]) == len(s.READ_BACK_ITEMS), summary
    before = user_bubbles(page)
    assert before == ["Start the check"] + [ANSWERS[slot] for slot in s.FORM_SLOTS] + [
        "That's right",
        "Summary for my doctor",
    ]

    page.reload()
    bot_says(page, say("utter_outcome_needs_evaluation"))
    assert user_bubbles(page) == before
    # The reloaded page rejoined its session on the server: the bot still answers it.
    type_message(page, "what is a DVT?")
    bot_says(page, say("utter_faq_what_is_dvt"))
    screenshot(page, "widget-after-reload.png")
    assert_only_first_party(visit, site)
    assert visit.errors == []


def focused(page: Page) -> str:
    """What has the keyboard focus: a quick reply's title, or the focused element's class."""
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return e.matches('.rw-reply') ? 'reply: ' + e.innerText : e.className; }"
    )


def tab_to_reply(page: Page, title: str, key: str = "Shift+Tab") -> None:
    """Move the focus with Tab or Shift+Tab, as a keyboard user does, to a quick reply."""
    seen = [focused(page)]
    for _ in range(12):
        if seen[-1] == f"reply: {title}":
            return
        page.keyboard.press(key)
        seen.append(focused(page))
    raise AssertionError(f"{key} never reached the {title!r} quick reply; the focus went {seen}")


def test_quick_replies_are_buttons_a_keyboard_user_can_reach_and_press(visit, site):
    page = visit.page
    # Shorter than the article, so that a Space that is not stopped would scroll the page.
    page.set_viewport_size({"width": 1280, "height": 700})
    assert page.evaluate("() => document.scrollingElement.scrollHeight > window.innerHeight")
    replies = page.locator(".rw-replies").last
    # What a screen reader announces, and what Tab stops at.
    assert replies.get_by_role("button").all_inner_texts() == ["Start the check", "Just a question"]
    assert replies.locator(".rw-reply").evaluate_all("rs => rs.map(r => r.tabIndex)") == [0, 0]

    tab_to_reply(page, "Start the check")
    start = replies.get_by_role("button", name="Start the check", exact=True)
    outline = start.evaluate("e => [getComputedStyle(e).outlineStyle, getComputedStyle(e).outlineWidth]")
    assert outline == ["solid", "3px"]  # the focus can be seen (chat-widget.css)
    screenshot(page, "widget-keyboard-focus.png")
    page.keyboard.press("Enter")
    bot_says(page, say(f"utter_ask_{s.EMERGENCY_SCREEN}"))
    # The pressed reply is gone with its message's replies; the focus waits in the message field.
    assert focused(page) == "rw-new-message"

    tab_to_reply(page, "No")  # Shift+Tab: "Not sure", then "No"
    page.keyboard.press("Space")
    bot_says(page, say(f"utter_ask_{s.FORM_SLOTS[1]}"))
    assert user_bubbles(page) == ["Start the check", "No"]
    assert page.evaluate("() => window.scrollY") == 0  # Space pressed the reply, not scrolled
    # Only the open question's replies are left, each a button in the tab order.
    assert page.get_by_role("button", name="Not sure").count() == 1
    assert page.locator(".rw-reply").evaluate_all(
        "rs => rs.map(r => [r.innerText, r.getAttribute('role'), r.tabIndex])"
    ) == [["Yes", "button", 0], ["No", "button", 0], ["Not sure", "button", 0]]

    tab_to_reply(page, "Yes")
    page.keyboard.press("Tab")
    assert focused(page) == "reply: No"  # Tab goes forward through them
    page.keyboard.press("Enter")
    bot_says(page, say(f"utter_ask_{s.FORM_SLOTS[2]}"))
    assert user_bubbles(page) == ["Start the check", "No", "No"]
    assert_only_first_party(visit, site)
    assert visit.errors == []


def test_the_emergency_instruction_stands_out_with_a_tap_to_call_link(visit, site):
    page = visit.page
    type_message(page, "I can't breathe")
    emergency = bot_says(page, EMERGENCY)
    assert "Do not drive yourself" in emergency.inner_text()
    emergency_link = emergency.locator(f'a[href="tel:{CLINIC.emergency_tel}"]')
    assert emergency_link.inner_text() == f"tap here to call {CLINIC.emergency_number}"
    # The wording's own link, not one chat-widget-phone-links.js added (its red style says so).
    assert emergency_link.evaluate("a => a.classList.contains('dvt-phone-link')") is False
    greeting = page.locator(BOT, has_text=say("utter_greet")).first
    assert emergency.evaluate("e => getComputedStyle(e).backgroundColor") == EMERGENCY_RED
    assert greeting.evaluate("e => getComputedStyle(e).backgroundColor") != EMERGENCY_RED
    screenshot(page, "widget-emergency.png")
    assert_only_first_party(visit, site)


def test_a_screen_reader_hears_each_reply_and_the_emergency_interrupts(visit, site):
    page = visit.page
    # The message list is a polite live region (chat-widget-keyboard.js): new messages are read.
    log = page.get_by_role("log", name="Conversation with the assistant", exact=True)
    expect(log).to_have_attribute("aria-live", "polite")
    expect(log.get_by_text(say("utter_greet"))).to_be_visible()
    alert = page.get_by_role("alert")
    expect(alert).to_have_count(1)
    expect(alert).to_have_text("")  # nothing urgent yet: the greeting is not shouted

    type_message(page, "I can't breathe")
    expect(alert).to_contain_text(EMERGENCY, timeout=REPLY_TIMEOUT_MS)
    expect(alert).to_contain_text("Do not drive yourself")
    expect(log.get_by_text(EMERGENCY)).to_be_visible()  # and it stays in the conversation
    box = alert.bounding_box()
    assert box is not None and box["width"] <= 1 and box["height"] <= 1  # heard, not shown twice
    assert visit.errors == []


@pytest.mark.parametrize(
    "typed",
    ["<img src=x onerror=alert(1)>", "<script>alert(2)</script>", "**bold** [link](javascript:alert(3))"],
)
def test_what_a_user_types_shows_as_text_and_never_runs(visit, site, typed):
    page = visit.page
    type_message(page, typed)
    # The bot has answered it (so it went through the whole round trip), and nothing ran.
    page.locator(BOT).nth(1).wait_for()
    bubble = page.locator(".rw-client").last
    assert bubble.inner_text() == typed
    assert bubble.locator(".rw-message-text *").count() == 0  # text, not elements
    assert page.locator("img[src='x']").count() == 0
    assert page.evaluate("() => [...document.scripts].filter(s => s.text.includes('alert(')).length") == 0
    assert visit.dialogs == [] and visit.errors == []
    screenshot(page, f"widget-escaping-{re.sub(r'[^a-z]+', '-', typed.lower()).strip('-')[:20]}.png")


# --- The page on a real screen ---------------------------------------------------------------


@dataclass(frozen=True)
class Screen:
    name: str
    width: int
    height: int
    phone: bool


DESKTOP = Screen("desktop", 1280, 800, phone=False)
PHONE = Screen("phone", 390, 844, phone=True)
DESKTOP_MESSAGES_MIN_PX = 500  # the box the widget drew by default showed about 330 px


def box(locator: Locator) -> dict[str, float]:
    found = locator.bounding_box()
    assert found is not None, f"{locator} is not rendered"
    return found


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def text_lines(locator: Locator) -> int:
    """How many lines an element's text is laid out on (one rectangle per line of a Range)."""
    return locator.evaluate(
        "e => { const r = document.createRange(); r.selectNodeContents(e);"
        " return new Set([...r.getClientRects()].filter(q => q.width > 0).map(q => Math.round(q.top))).size; }"
    )


@pytest.mark.parametrize("screen", [DESKTOP, PHONE], ids=lambda screen: screen.name)
def test_on_a_real_screen_the_chat_is_large_labelled_and_leaves_the_emergency_notice_in_sight(
    browser: Browser, site: Site, screen: Screen
):
    context = browser.new_context(
        viewport={"width": screen.width, "height": screen.height},
        is_mobile=screen.phone,
        has_touch=screen.phone,
    )
    context.set_default_timeout(REPLY_TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{site.page_url}/")
        notice = page.locator(".alert")
        expect(notice).to_contain_text(f"Call {CLINIC.emergency_number}")

        # The header's number stays whole ("925-477-" / "3030" could be neither read nor tapped).
        header_number = page.locator(".site-header .phone")
        expect(header_number).to_have_text(f"Call {CLINIC.phone}")
        assert text_lines(header_number) == 1
        assert box(header_number)["x"] + box(header_number)["width"] <= screen.width  # and on screen

        # The launcher says what it is, on screen and to a screen reader.
        launcher = page.get_by_role("button", name=LAUNCHER_LABEL, exact=True)
        expect(launcher).to_be_visible()
        expect(launcher).to_have_text(LAUNCHER_LABEL)
        label = box(launcher.get_by_text(LAUNCHER_LABEL, exact=True))
        assert label["width"] > 0 and label["x"] + label["width"] <= screen.width
        launcher.click()

        bot_says(page, say("utter_greet"))
        type_message(page, "how do I book an appointment?")
        booking = bot_says(page, say("utter_faq_booking"))
        # The clinic's number in the reply can be tapped, and dials the clinic.
        number = booking.locator("a.dvt-phone-link")
        expect(number).to_have_count(1)
        expect(number).to_have_text(CLINIC.phone)
        expect(number).to_have_attribute("href", f"tel:{CLINIC.phone_tel}")
        page.wait_for_timeout(600)  # the widget's opening slide and scroll settle

        chat = page.locator(".rw-widget-container.rw-chat-open")
        viewport = {"x": 0, "y": 0, "width": screen.width, "height": screen.height}
        # Wherever the page is scrolled, the open chat never hides the emergency notice.
        scroll_range = page.evaluate("() => document.scrollingElement.scrollHeight - window.innerHeight")
        for y in sorted({0, box(notice)["y"] // 2, scroll_range // 2, scroll_range}):
            page.evaluate(f"() => window.scrollTo(0, {y})")
            assert not overlap(box(chat), box(notice)), (y, box(chat), box(notice))
        page.evaluate("() => window.scrollTo(0, 0)")
        chat_box = box(chat)
        assert chat_box["x"] >= 0 and chat_box["x"] + chat_box["width"] <= screen.width + 0.5
        assert chat_box["y"] >= 0 and chat_box["y"] + chat_box["height"] <= screen.height + 0.5
        if screen.phone:
            # The notice is pinned above the chat, so "call 911" is in sight the whole time.
            assert overlap(box(notice), viewport)
            assert box(notice)["y"] + box(notice)["height"] <= chat_box["y"] + 0.5
        else:
            assert box(page.locator(".rw-messages-container"))["height"] >= DESKTOP_MESSAGES_MIN_PX
        expect(booking).to_be_in_viewport()
        screenshot(page, f"{screen.name}-{screen.width}x{screen.height}.png")
        assert errors == []
    finally:
        context.close()


# Phone numbers as a clinic may write them, and text that must stay text.
LINKED_NUMBERS = {
    "925-477-3030": "tel:9254773030",
    "(925) 477-3030": "tel:9254773030",
    "925.477.3030": "tel:9254773030",
    "+1 925 477 3030": "tel:+19254773030",
    "1-800-555-0199": "tel:18005550199",
    "+44 20 7946 0018": "tel:+442079460018",
    "9254773030": "tel:9254773030",
}
NOT_NUMBERS = ["2024-05-01", "100 000", "3 to 6 months", "20 mg 2 times", "10:30", "v1.2.3456"]


def test_any_phone_number_in_a_bot_message_can_be_tapped_and_nothing_else_is_linked(visit):
    """chat-widget-phone-links.js on messages as the widget renders them: a bot message with
    every format, one the user typed with the same numbers, and the emergency instruction."""
    page = visit.page
    sentence = ", ".join(f"or {number}" for number in [*LINKED_NUMBERS, *NOT_NUMBERS]) + "."
    page.evaluate(
        """([sentence, emergencyTel]) => {
          const log = document.querySelector('.rw-messages-container');
          const message = (cls, html) => {
            const m = document.createElement('div');
            m.className = 'rw-message dvt-test';
            m.innerHTML = `<div class="${cls}"><div class="rw-message-text"><p></p></div></div>`;
            m.querySelector('p').innerHTML = html;
            log.appendChild(m);
          };
          message('rw-response', 'Call ' + sentence.replace(/&/g, '&amp;').replace(/</g, '&lt;'));
          message('rw-client', 'Call ' + sentence);
          message('rw-response', `call now: <a href="tel:${emergencyTel}">tap here</a>, or at 925-477-3030`);
        }""",
        [sentence, CLINIC.emergency_tel],
    )
    bot, user, emergency = (page.locator(".dvt-test").nth(i) for i in range(3))
    links = bot.locator("a")
    expect(links).to_have_count(len(LINKED_NUMBERS))
    found = links.evaluate_all(
        "links => links.map(a => [a.textContent, a.getAttribute('href'), a.className])"
    )
    assert found == [[number, href, "dvt-phone-link"] for number, href in LINKED_NUMBERS.items()]
    assert bot.inner_text() == "Call " + sentence  # the text reads as before
    assert user.locator("a").count() == 0  # what the patient typed is never touched
    # The emergency instruction keeps its own link and its red alert; a number in it is linked too.
    assert emergency.locator("a").evaluate_all("links => links.map(a => a.className)") == [
        "",
        "dvt-phone-link",
    ]
    assert (
        emergency.locator(".rw-response").evaluate("e => getComputedStyle(e).backgroundColor")
        == EMERGENCY_RED
    )
    assert bot.locator(".rw-response").evaluate("e => getComputedStyle(e).backgroundColor") != EMERGENCY_RED


def test_only_the_emergency_instructions_carry_a_tel_link_of_their_own():
    """What chat-widget.css and chat-widget-keyboard.js rely on to tell the emergency message
    (a red alert, read out at once) from a reply with the clinic's number (linked by script)."""
    with_own_link = sorted(
        name
        for name, variations in RESPONSES.items()
        if any("](tel:" in variation.get("text", "") for variation in variations)
    )
    assert with_own_link and all(name.startswith("utter_emergency") for name in with_own_link), with_own_link
