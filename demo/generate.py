#!/usr/bin/env python3
#
# demo/generate.py
#	  Seeded traffic that looks like FullStory Stream click webhooks.
#
# One run builds a "delivery plan": the clean clicks of a few hundred
# sessions, in the order FullStory would send them, plus what goes wrong in
# real traffic: retried deliveries (bodies re-sent byte for byte after they
# were acknowledged), clicks held back and delivered late and out of order,
# a "Send Test" connection test and a few broken bodies.  The plan is then
# either written to a file (one body per line, the exact bytes to post) or
# posted to a gateway over keep-alive connections.
#
# Everything but the click times comes from --seed.  The times are offsets
# from a base time, by default the current time rounded down to the minute,
# because the server refuses clicks from the far past or the future; pass
# --base-time to make the output byte-for-byte repeatable.
#
# Standard library only.  Run with --help for the flags, or --self-check to
# validate the generator's own output.

import argparse
import calendar
import http.client
import json
import os
import queue
import random
import re
import signal
import sys
import threading
import time
import urllib.parse

# Keys of the click recipe, in the order the samples use
CLICK_KEYS = ("target_text", "element_name", "page_url", "timestamp",
			  "timestamp_unix", "session_replay_url", "user_id",
			  "user_email", "session_id")

REPLAY_PREFIX = "https://app.fullstory.com/ui/ORG1/client-session/"
APP_HOST = "app.example.com"
SITE_HOST = "www.example.com"

# Kinds of broken bodies, and how many variants broken_body has of each
BROKEN_KINDS = ("not_json", "truncated", "no_session", "bad_timestamp")
BROKEN_VARIANTS = {"not_json": 2, "truncated": 2, "no_session": 2,
				   "bad_timestamp": 3}

# Marks a key that a body leaves out
ABSENT = object()

# ----------------------------------------------------------------------
# What the product looks like: labels, pages, people
# ----------------------------------------------------------------------

LOCALES = (("en", 78), ("de", 10), ("ja", 7), ("ar", 5))

COUNTRIES = {
	"en": ("United States", "United Kingdom", "India", "Portugal",
		   "Brazil", "Canada"),
	"de": ("Germany", "Austria", "Switzerland"),
	"ja": ("Japan",),
	"ar": ("Saudi Arabia", "Egypt", "United Arab Emirates"),
}

BROWSERS = (("Chrome", 60), ("Safari", 18), ("Firefox", 9), ("Edge", 9),
			("Samsung Internet", 4))

# A button's text per locale, and FullStory's element name for it ("" when
# nobody defined one in FullStory)
BUTTONS = {
	"save": ("Save", {
		"en": "Save changes", "de": "Änderungen speichern",
		"ja": "変更を保存", "ar": "حفظ التغييرات"}),
	"export": ("Export button", {
		"en": "Export CSV", "de": "CSV exportieren",
		"ja": "CSVをエクスポート", "ar": "تصدير CSV"}),
	"new_report": ("New report", {
		"en": "New report", "de": "Neuer Bericht",
		"ja": "新しいレポート", "ar": "تقرير جديد"}),
	"invite": ("Invite button", {
		"en": "Invite members", "de": "Mitglieder einladen",
		"ja": "メンバーを招待", "ar": "دعوة الأعضاء"}),
	"upgrade": ("Upgrade CTA", {
		"en": "🚀 Upgrade", "de": "🚀 Jetzt upgraden",
		"ja": "🚀 アップグレード", "ar": "🚀 ترقية"}),
	"cancel": ("", {
		"en": "Cancel", "de": "Abbrechen", "ja": "キャンセル", "ar": "إلغاء"}),
	"delete": ("Delete", {
		"en": "Delete", "de": "Löschen", "ja": "削除", "ar": "حذف"}),
	"search": ("Search submit", {
		"en": "Search", "de": "Suchen", "ja": "検索", "ar": "بحث"}),
	"pdf": ("Download PDF", {
		"en": "Download PDF", "de": "PDF herunterladen",
		"ja": "PDFをダウンロード", "ar": "تنزيل PDF"}),
	"next": ("Onboarding next", {
		"en": "Next step →", "de": "Weiter →", "ja": "次へ →",
		"ar": "التالي"}),
	"trial": ("Signup CTA", {
		"en": "Start free trial", "de": "Kostenlos testen",
		"ja": "無料で試す", "ar": "ابدأ التجربة المجانية"}),
	"done": ("", {
		"en": "Mark as done ✅", "de": "Als erledigt markieren ✅",
		"ja": "完了にする ✅", "ar": "وضع علامة كمكتمل ✅"}),
	"reply": ("Reply", {
		"en": "Reply", "de": "Antworten", "ja": "返信", "ar": "رد"}),
	"filters": ("", {
		"en": "Filters (3)", "de": "Filter (3)", "ja": "フィルター (3)",
		"ar": "عوامل التصفية (3)"}),
	"size": ("", {
		"en": "Choose size", "de": "Größe wählen", "ja": "サイズを選択",
		"ar": "اختر الحجم"}),
}

# Icon-only buttons: no text, only FullStory's element name ("" is an
# element nobody gave an accessible name)
ICONS = ("Close dialog", "Open menu", "Notifications", "User avatar menu",
		 "Copy link", "More actions", "Collapse sidebar", "Star report", "")

# Pages: host, path template, page name, weight, clickable elements.  An
# element is "b:<button>", "i" (an icon) or "c:<container>".
PAGES = (
	(APP_HOST, "/dashboard", "Dashboard", 14,
	 ("b:new_report", "b:search", "i", "i", "c:notices", "b:upgrade")),
	(APP_HOST, "/reports", "Reports", 10,
	 ("b:new_report", "b:export", "b:filters", "i", "c:invoice_rows")),
	(APP_HOST, "/reports/{report}", "Report", 12,
	 ("b:export", "b:pdf", "i", "i", "b:delete", "b:filters")),
	(APP_HOST, "/reports/{report}/edit?mode=draft", "Edit report", 5,
	 ("b:save", "b:cancel", "i", "b:size")),
	(APP_HOST, "/projects/{project}/settings?tab=members#invite",
	 "Project settings", 6, ("b:invite", "b:save", "i", "b:cancel")),
	(APP_HOST, "/projects/{project}/tasks/{task}", "Task", 9,
	 ("b:done", "b:reply", "i", "c:task_card")),
	(APP_HOST, "/invoices/{invoice}?download=pdf&lang={lang}", "Invoice", 4,
	 ("b:pdf", "c:invoice_rows", "i")),
	(APP_HOST, "/search?q={query}&page={page}", "Search", 6,
	 ("b:search", "b:filters", "i", "c:big_table")),
	(APP_HOST, "/settings/billing", "Billing settings", 3,
	 ("b:save", "b:upgrade", "i", "c:pricing")),
	(APP_HOST, "/inbox/{thread}#message-{msg}", "Inbox", 5,
	 ("b:reply", "b:delete", "i", "c:notices")),
	(APP_HOST, "/onboarding?step={step}&utm_source=newsletter"
	 "&utm_campaign=autumn", "Onboarding", 3, ("b:next", "b:cancel", "i")),
	(SITE_HOST, "{pricing}", "Pricing", 8,
	 ("c:pricing", "c:pricing", "b:trial", "i")),
	(SITE_HOST, "/blog/{slug}?utm_source=twitter#comments", "Blog post", 4,
	 ("c:paragraph", "b:trial", "i")),
	(SITE_HOST, "/signup?ref={ref}", "Sign up", 3, ("b:trial", "i")),
)

PRICING_PATHS = {"en": "/pricing", "de": "/de/preise", "ja": "/ja/pricing",
				 "ar": "/ar/pricing"}

SLUGS = ("why-we-rebuilt-reports", "csv-exports-at-scale",
		 "größer-ist-nicht-besser", "2025-10-product-update")

QUERIES = ("export csv", "Größe", "請求書", "invoice 2025-0042", "فاتورة",
		   "q3 churn")

FIRST_NAMES = ("jane", "omar", "yuki", "juergen", "ana", "priya", "li",
			   "fatima", "max", "sofia", "kenji", "lena")
LAST_NAMES = ("doe", "haddad", "sato", "mueller", "silva", "patel", "wei",
			  "alzahra", "schmidt", "rossi", "tanaka", "novak")
MAIL_DOMAINS = ("example.com", "example.org", "example.net",
				"mail.example.com", "corp.example")


def weighted(rng, pairs):
	"""Pick a value from (value, weight) pairs."""
	values = [p[0] for p in pairs]
	weights = [p[1] for p in pairs]
	return rng.choices(values, weights)[0]


def container_text(rng, name, locale):
	"""The text of a large clicked element, as FullStory captures it:
	newlines, tabs, runs of spaces, no-break spaces and all."""
	if name == "pricing":
		return rng.choice({
			"en": ("Starter plan\n  $12 / month\n\n  Choose",
				   "Team plan\n  $29 / user / month\n\n  • Unlimited "
				   "reports\n  • SSO\n\n  Choose"),
			"de": ("Team-Tarif\n  29\u00a0€ pro Nutzer / Monat\n\n"
				   "  Auswählen",),
			"ja": ("チームプラン\n  月額 ¥3,200 / ユーザー\n\n  選択する",),
			"ar": ("الخطة الأساسية\n  ١٢ دولارًا / شهريًا\n\n  اختر",),
		}[locale])
	if name == "notices":
		return ("3 new comments\n\n    Jürgen Müller mentioned you in "
				"“Q3 churn”\t2m ago\n    佐藤 健 replied\t5m ago\n"
				"    فاطمة reacted 👍\t1h ago\n\n  View all")
	if name == "task_card":
		return ("🐛  Fix login redirect\n   #%d · opened 3 days ago by "
				"dana\n\n   bug    frontend" % rng.randint(1000, 9999))
	if name == "invoice_rows":
		return ("INV-2025-%04d\t\tAcme GmbH\t1.240,00\u00a0€\t\tPaid\n"
				% rng.randint(1, 999))
	if name == "paragraph":
		return ("We rebuilt reports from the ground up.   Exports that "
				"took minutes\nnow take seconds, and the new filters "
				"remember\u200b what you chose last time.\n\n\tRead on "
				"to see how we measured it, what broke along the way, "
				"and what our customers in Köln, 東京 and الرياض told "
				"us they wanted next.   ") * 2
	return big_table(rng)


def big_table(rng):
	"""A click on a whole results table: a few kilobytes of text."""
	rows = ["Invoice\tCustomer\tAmount\tStatus"]
	for i in range(40):
		rows.append("INV-2025-%04d\t%s\t%d.%02d\u00a0€\t%s" % (
			rng.randint(1, 9999), rng.choice(("Acme GmbH", "株式会社サトウ",
											  "Nordwind AG", "شركة النور")),
			rng.randint(10, 9999), rng.randint(0, 99),
			rng.choice(("Paid", "Open", "Overdue"))))
	return "\n".join(rows) + "\n\n    Showing 40 of 1,204 results   "


def decimal_id(rng, taken):
	"""A FullStory device or session id: an unsigned 64-bit value written in
	decimal, usually 18-19 digits, sometimes past 2^63, rarely short."""
	while True:
		r = rng.random()
		if r < 0.70:
			value = rng.getrandbits(63)
		elif r < 0.95:
			value = (1 << 63) | rng.getrandbits(63)
		else:
			value = rng.getrandbits(40)
		text = str(value)
		if text not in taken:
			taken.add(text)
			return text


def fake_uuid(rng):
	"""A version 4 UUID drawn from rng."""
	h = "%032x" % rng.getrandbits(128)
	return "%s-%s-4%s-%x%s-%s" % (h[0:8], h[8:12], h[13:16],
								  8 + rng.getrandbits(2), h[17:20], h[20:32])


# ----------------------------------------------------------------------
# Sessions and clicks
# ----------------------------------------------------------------------

class World:
	"""What sessions share: users with their devices, entity ids that
	appear in URLs, and the set of ids already drawn."""

	def __init__(self, rng, sessions):
		self.rng = rng
		self.ids = set()
		self.users = [self.new_user() for _ in range(max(5, sessions // 3))]
		self.pools = {
			"report": [str(rng.randint(1, 9999)) for _ in range(60)],
			"project": [str(rng.randint(1000, 99999)) for _ in range(25)],
			"invoice": ["%032x" % rng.getrandbits(128) for _ in range(40)],
			"task": [fake_uuid(rng) for _ in range(80)],
			"thread": [fake_uuid(rng) for _ in range(40)],
		}

	def new_user(self):
		"""An identified user: id, email (sometimes none), devices."""
		rng = self.rng
		email = "%s.%s@%s" % (rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES),
							  rng.choice(MAIL_DOMAINS))
		if rng.random() < 0.1:
			email = email.replace("@", "+demo@")
		if rng.random() < 0.1:
			email = ""
		devices = [decimal_id(rng, self.ids)
				   for _ in range(rng.choice((1, 1, 1, 2)))]
		return {"id": "user-%d" % rng.randint(100000000, 999999999),
				"email": email, "devices": devices}

	def entity(self, kind):
		"""An id from a shared pool, skewed so some are popular."""
		pool = self.pools[kind]
		return pool[int(len(pool) * self.rng.random() ** 2)]


class Session:
	"""One FullStory session: who, on which device, how its session_id is
	written, and the clicks it made (filled by make_clicks)."""

	def __init__(self, world, index):
		rng = world.rng
		self.index = index
		self.locale = weighted(rng, LOCALES)
		self.country = rng.choice(COUNTRIES[self.locale])
		self.browser = weighted(rng, BROWSERS)
		self.user = rng.choice(world.users) if rng.random() < 0.55 else None
		self.anon_style = rng.choice(("absent", "null", "empty", "empty"))
		self.login_at = 0
		if self.user is not None:
			self.device = rng.choice(self.user["devices"])
			if rng.random() < 0.15:
				self.login_at = rng.randint(1, 4)
		else:
			self.device = decimal_id(rng, world.ids)
		self.sid = decimal_id(rng, world.ids)
		self.sep = weighted(rng, (("%3A", 90), ("%3a", 6), (":", 4)))
		self.extras = rng.random() < 0.2
		self.clicks = []

	@property
	def key(self):
		"""The decoded session key, device:session."""
		return self.device + ":" + self.sid


class Click:
	"""A clean click: its session, its time in unix milliseconds, its place
	in the session, and the exact body bytes."""

	__slots__ = ("session", "at_ms", "seq", "body")

	def __init__(self, session, at_ms, seq, body):
		self.session = session
		self.at_ms = at_ms
		self.seq = seq
		self.body = body


def iso_ms(at_ms):
	"""ISO 8601 UTC with milliseconds: 2025-10-21T14:17:34.073Z."""
	secs, ms = divmod(at_ms, 1000)
	return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + \
		".%03dZ" % ms


def encode_body(fields):
	"""The body bytes: compact JSON with UTF-8 written raw, not escaped."""
	return json.dumps(fields, ensure_ascii=False,
					  separators=(",", ":")).encode("utf-8")


def fill_path(world, session, template, state):
	"""Replace the {placeholders} of a page template with ids, mostly
	reusing the ones this session already had."""
	rng = world.rng

	def one(match):
		name = match.group(1)
		if name in world.pools:
			if name not in state or rng.random() < 0.4:
				state[name] = world.entity(name)
			return state[name]
		return {
			"lang": lambda: session.locale,
			"query": lambda: urllib.parse.quote_plus(rng.choice(QUERIES)),
			"page": lambda: str(rng.randint(1, 5)),
			"msg": lambda: str(rng.randint(1, 400)),
			"step": lambda: str(rng.randint(1, 4)),
			"slug": lambda: urllib.parse.quote(rng.choice(SLUGS)),
			"ref": lambda: "%08x" % rng.getrandbits(32),
			"pricing": lambda: PRICING_PATHS[session.locale],
		}[name]()
	return re.sub(r"\{(\w+)\}", one, template)


def pick_page(rng, session, current):
	"""The next page: anonymous visitors mostly browse the site, identified
	users mostly the app."""
	on_site = session.user is None and rng.random() < 0.6
	if current is not None and rng.random() < 0.85:
		on_site = current[0] == SITE_HOST
	hosts = (SITE_HOST,) if on_site else (APP_HOST,)
	pages = [p for p in PAGES if p[0] in hosts]
	return rng.choices(pages, [p[3] for p in pages])[0]


def element_label(rng, element, locale):
	"""target_text and element_name for one clickable element."""
	if element == "i":
		return "", rng.choice(ICONS)
	kind, name = element.split(":")
	if kind == "b":
		element_name, texts = BUTTONS[name]
		return texts[locale], element_name
	return container_text(rng, name, locale), \
		rng.choice(("", "", "Card", "Table"))


def user_fields(session, seq):
	"""user_id and user_email as this click's body carries them: a string,
	None for JSON null, or ABSENT for a key left out."""
	user = session.user
	if user is not None and seq >= session.login_at:
		return user["id"], user["email"]
	style = "empty" if user is not None else session.anon_style
	return {"absent": (ABSENT, ABSENT), "null": (None, None),
			"empty": ("", "")}[style]


def click_fields(session, at_ms, seq, page_url, page, label):
	"""The body of one clean click as an ordered dict."""
	ms_text = str(at_ms)
	fields = {
		"target_text": label[0],
		"element_name": label[1],
		"page_url": page_url,
		"timestamp": iso_ms(at_ms),
		"timestamp_unix": at_ms // 1000,
		"session_replay_url": "%s%s%%3A%s?ts=%s" % (
			REPLAY_PREFIX, session.device, session.sid, ms_text),
	}
	user_id, user_email = user_fields(session, seq)
	for key, value in (("user_id", user_id), ("user_email", user_email)):
		if value is not ABSENT:
			fields[key] = value
	fields["session_id"] = session.device + session.sep + session.sid
	if session.extras:
		fields.update(page_name=page[2], event_type="Click",
					  ua_browser=session.browser, country=session.country)
	return fields


def click_gaps(rng, count):
	"""Milliseconds between consecutive clicks: mostly seconds apart, now
	and then a burst of rage clicks 80-250 ms apart."""
	gaps = []
	while len(gaps) < count:
		gaps.append(int(min(120000, max(350, rng.lognormvariate(8.7, 0.9)))))
		if rng.random() < 0.03:
			gaps.extend(rng.randint(80, 250) for _ in range(rng.randint(1, 3)))
	return gaps[:count]


def make_clicks(world, session, count, base_ms, spread_ms):
	"""Fill session.clicks with count clicks that end before base_ms."""
	rng = world.rng
	gaps = click_gaps(rng, count)
	span = sum(gaps)
	start = base_ms - rng.randint(span, max(span, spread_ms)) - 1000
	page, url, state, element = None, None, {}, None

	for seq in range(count):
		start += gaps[seq]
		rage = seq > 0 and gaps[seq] < 350
		if page is None or (not rage and rng.random() < 0.35):
			page = pick_page(rng, session, page)
			url = "https://" + page[0] + fill_path(world, session, page[1],
												   state)
		if not rage:
			element = rng.choice(page[4])
			label = element_label(rng, element, session.locale)
		fields = click_fields(session, start, seq, url, page, label)
		session.clicks.append(Click(session, start, seq, encode_body(fields)))


def session_sizes(rng, sessions, total):
	"""How many clicks each session makes: geometric, mean about 8, capped
	at 40.  With total set, sessions are added or cut until the sizes add up
	to exactly total."""
	sizes, made = [], 0
	while len(sizes) < sessions or (total is not None and made < total):
		n = 1
		while n < 40 and rng.random() < 0.88:
			n += 1
		sizes.append(n)
		made += n
	if total is not None:
		kept, left = [], total
		for n in sizes:
			if left == 0:
				break
			kept.append(min(n, left))
			left -= kept[-1]
		sizes = kept
	return sizes


def make_sessions(seed, sessions, total, base_ms, hours):
	"""All sessions with their clean clicks, drawn from seed."""
	rng = random.Random("autoplay-demo-content-%d" % seed)
	world = World(rng, sessions)
	result = []
	for index, count in enumerate(session_sizes(rng, sessions, total)):
		session = Session(world, index)
		make_clicks(world, session, count, base_ms,
					int(hours * 3600 * 1000))
		result.append(session)
	return result


# ----------------------------------------------------------------------
# Broken bodies
# ----------------------------------------------------------------------

def connection_test_body():
	"""What a "Send Test" from the Stream's setup page looks like: every
	mapped key present, every value empty."""
	return encode_body({key: "" for key in CLICK_KEYS})


def broken_body(rng, kind, variant, victim, base_ms):
	"""A broken body of the given kind, made from a clean click (victim)
	that is not itself delivered."""
	fields = json.loads(victim.body)
	if kind == "not_json":
		if variant % 2 == 0:
			return ("target_text=%s&session_id=%s" % (
				urllib.parse.quote_plus(fields["target_text"][:40]),
				fields["session_id"])).encode("utf-8")
		return repr({k: fields[k] for k in CLICK_KEYS[:4]}).encode("utf-8")
	if kind == "truncated":
		cut = rng.randint(len(victim.body) // 5, len(victim.body) * 9 // 10)
		return victim.body[:cut]
	if kind == "no_session":
		if variant % 2 == 0:
			del fields["session_id"]
		else:
			fields["session_id"] = None
		return encode_body(fields)
	return encode_body(bad_time_fields(fields, variant, base_ms))


def bad_time_fields(fields, variant, base_ms):
	"""A click whose time cannot be stored: not ISO 8601, before 2000, or
	three days in the future."""
	which = variant % 3
	if which == 0:
		fields["timestamp"] = time.strftime(
			"%d/%m/%Y %H:%M:%S", time.gmtime(fields["timestamp_unix"]))
		fields["timestamp_unix"] = ""
		return fields
	at_ms = 946684799000 if which == 1 else base_ms + 3 * 86400 * 1000
	fields["timestamp"] = iso_ms(at_ms)
	fields["timestamp_unix"] = at_ms // 1000
	fields["session_replay_url"] = re.sub(r"ts=\d+", "ts=%d" % at_ms,
										  fields["session_replay_url"])
	return fields


# ----------------------------------------------------------------------
# The delivery plan
# ----------------------------------------------------------------------

class Delivery:
	"""One POST: kind is "click", "late" (a click held back), "resend" (a
	byte-for-byte copy of an earlier delivery, original is its index),
	"test" or one of BROKEN_KINDS."""

	__slots__ = ("kind", "body", "click", "original")

	def __init__(self, kind, body, click=None, original=None):
		self.kind = kind
		self.body = body
		self.click = click
		self.original = original


def build_plan(args, base_ms):
	"""The sessions and the ordered deliveries for args: on-time clicks
	with a connection test first and a few broken bodies among them, then
	the tail: late clicks and re-sent bodies, shuffled together."""
	sessions = make_sessions(args.seed, args.sessions, args.clicks, base_ms,
							 args.hours)
	clicks = sorted((c for s in sessions for c in s.clicks),
					key=lambda c: (c.at_ms, c.session.index, c.seq))
	if args.clean:
		return sessions, [Delivery("click", c.body, c) for c in clicks]

	# Split the clicks into on-time and late ones, and add the resends
	rng = random.Random("autoplay-demo-delivery-%d" % args.seed)
	late = hold_back(rng, sessions)
	main = [Delivery("click", c.body, c) for c in clicks
			if id(c) not in late]
	tail = [Delivery("late", c.body, c) for c in clicks if id(c) in late]
	tail += resends(rng, main)
	rng.shuffle(tail)

	# Spread the broken bodies, then point each resend at its original
	plan = insert_broken(rng, args, base_ms, main)
	where = {id(d): i for i, d in enumerate(plan)}
	for delivery in tail:
		if delivery.original is not None:
			delivery.original = where[id(main[delivery.original])]
	return sessions, plan + tail


def hold_back(rng, sessions):
	"""Clicks delivered late: for about 6% of the sessions with four clicks
	or more, a run of 2-5 clicks made while the browser was offline, plus
	about 1% of all other clicks one at a time."""
	late = set()
	for session in sessions:
		n = len(session.clicks)
		if n >= 4 and rng.random() < 0.06:
			first = rng.randint(1, n - 2)
			for click in session.clicks[first:first + rng.randint(2, 5)]:
				late.add(id(click))
		for click in session.clicks:
			if rng.random() < 0.01:
				late.add(id(click))
	return late


def resends(rng, main):
	"""Retried deliveries: about 3% of the on-time clicks are sent again,
	once or a few times, after they were acknowledged.  original is the
	index into main until build_plan rewrites it."""
	copies = []
	for index, delivery in enumerate(main):
		if rng.random() < 0.03:
			for _ in range(rng.choice((1, 1, 1, 2, 3))):
				copies.append(Delivery("resend", delivery.body,
									   delivery.click, index))
	return copies


def insert_broken(rng, args, base_ms, main):
	"""A copy of main with a connection test first and a few broken bodies
	spread through it: every variant of each kind, or one of each kind
	per 1,200 clicks when that is more, up to 20 of a kind.  Broken
	bodies are made from clicks of spare sessions that are never
	delivered, so they do not disturb the clean clicks."""
	world = World(random.Random("autoplay-demo-broken-%d" % args.seed), 3)
	victims = []
	while len(victims) < 4 * 20:
		spare = Session(world, -1)
		make_clicks(world, spare, 8, base_ms, 3600 * 1000)
		victims += spare.clicks

	extra = []
	per_kind = min(20, round(len(main) / 1200))
	for kind in BROKEN_KINDS:
		for variant in range(max(per_kind, BROKEN_VARIANTS[kind])):
			body = broken_body(rng, kind, variant, victims.pop(), base_ms)
			extra.append(Delivery(kind, body))
	if len(main) > 200:
		extra.append(Delivery("test", connection_test_body()))

	plan = [Delivery("test", connection_test_body())] + main
	for delivery in extra:
		plan.insert(rng.randint(1, len(plan)), delivery)
	return plan


def showcase(sessions, plan):
	"""A session worth showing as a timeline: identified, 6 to 16 clicks,
	some of them delivered late; failing that, the best there is."""
	late = {id(d.click) for d in plan if d.kind == "late"}

	def score(s):
		n_late = sum(1 for c in s.clicks if id(c) in late)
		return (s.user is not None, n_late > 0, 6 <= len(s.clicks) <= 16,
				n_late, -s.index)
	return max(sessions, key=score) if sessions else None


# ----------------------------------------------------------------------
# Posting
# ----------------------------------------------------------------------

class Poster:
	"""Posts bodies to one URL from a few threads, each over its own
	keep-alive connection, retrying like FullStory: a 5xx answer or a
	connection error is retried with exponential backoff (honouring
	Retry-After, capped), up to attempts tries; a 4xx is final.  After
	GIVE_UP_RUN bodies in a row could not be delivered the target is
	taken for gone: the workers stop and run raises DeliveryStopped."""

	GIVE_UP_RUN = 3

	def __init__(self, url, token, concurrency, attempts, timeout):
		parts = urllib.parse.urlsplit(url)
		if parts.scheme not in ("http", "https") or not parts.hostname:
			raise ValueError("not an http or https URL: \"%s\"" % url)
		self.https = parts.scheme == "https"
		self.host = parts.hostname
		self.port = parts.port
		self.path = (parts.path or "/") + \
			("?" + parts.query if parts.query else "")
		self.headers = {"Content-Type": "application/json",
						"Authorization": "Bearer " + token,
						"User-Agent": "autoplay-demo-generator/1.0"}
		self.concurrency = max(1, concurrency)
		self.attempts = max(1, attempts)
		self.timeout = timeout
		self.lock = threading.Lock()
		self.statuses = {}
		self.outcomes = {}
		self.retries = {}
		self.gave_up = 0
		self.failing = 0
		self.stop = threading.Event()

	def connect(self):
		"""A new, not yet opened connection to the target."""
		cls = http.client.HTTPSConnection if self.https \
			else http.client.HTTPConnection
		return cls(self.host, self.port, timeout=self.timeout)

	def run(self, bodies):
		"""Post every body; return the final status of each, in order (an
		int, or None when every attempt failed to connect)."""
		results = [None] * len(bodies)
		work = queue.Queue()
		for item in enumerate(bodies):
			work.put(item)
		threads = [threading.Thread(target=self.worker, args=(work, results),
									daemon=True)
				   for _ in range(min(self.concurrency, max(1, len(bodies))))]
		for thread in threads:
			thread.start()
		for thread in threads:
			while thread.is_alive():
				thread.join(0.2)
		if self.stop.is_set():
			raise DeliveryStopped("%d bodies in a row could not be "
								  "delivered; stopping" % self.GIVE_UP_RUN)
		return results

	def worker(self, work, results):
		"""Take bodies off work until it is empty."""
		conn = self.connect()
		jitter = random.Random()
		try:
			while not self.stop.is_set():
				try:
					index, body = work.get_nowait()
				except queue.Empty:
					return
				results[index] = self.deliver(conn, body, jitter)
		finally:
			conn.close()

	def deliver(self, conn, body, jitter):
		"""Post one body until it gets a final answer or attempts run out."""
		status = None
		for attempt in range(self.attempts):
			status, wait = self.attempt(conn, body)
			if status is not None and status < 500:
				break
			if attempt + 1 == self.attempts or self.stop.is_set():
				self.count("gave_up")
				break
			self.count("retry", status)
			backoff = min(2.0, 0.1 * 2 ** attempt) * (0.5 + jitter.random())
			self.stop.wait(max(backoff, wait))
		self.count("status", status)
		return status

	def attempt(self, conn, body):
		"""One POST: (status, seconds the server asked us to wait), or
		(None, 0) on a connection error, after which conn is reset."""
		try:
			conn.request("POST", self.path, body, self.headers)
			resp = conn.getresponse()
			data = resp.read()
		except (OSError, http.client.HTTPException):
			conn.close()
			return None, 0.0
		for word in outcome_words(resp.status, data):
			self.count("outcome", word)
		retry_after = resp.getheader("Retry-After", "")
		wait = min(2.0, float(retry_after)) if retry_after.isdigit() else 0
		return resp.status, wait

	def count(self, what, value=None):
		"""Add one to a counter, under the lock."""
		with self.lock:
			if what == "gave_up":
				self.gave_up += 1
				self.failing += 1
				if self.failing >= self.GIVE_UP_RUN:
					self.stop.set()
				return
			if what == "status" and value is not None and value < 500:
				self.failing = 0
			table = {"status": self.statuses, "retry": self.retries,
					 "outcome": self.outcomes}[what]
			key = "connection error" if value is None else str(value)
			table[key] = table.get(key, 0) + 1


class DeliveryStopped(Exception):
	"""Posting stopped because the target seems to be gone."""


def outcome_words(status, data):
	"""What an answer said happened to its clicks: the "status" of each
	element of a 200's "results" ("accepted", "duplicate", "test", ...),
	else the HTTP status."""
	if status != 200:
		return [str(status)]
	try:
		results = json.loads(data).get("results")
		words = [r["status"] for r in results if isinstance(r["status"], str)]
	except (ValueError, AttributeError, TypeError, KeyError):
		return ["200"]
	return words or ["200"]


# ----------------------------------------------------------------------
# Runs
# ----------------------------------------------------------------------

def kind_counts(plan):
	"""How many deliveries of each kind the plan holds."""
	counts = {}
	for delivery in plan:
		counts[delivery.kind] = counts.get(delivery.kind, 0) + 1
	return counts


def post_plan(args, plan):
	"""Post the plan in two phases: everything on time, then the tail
	(late clicks and resends of bodies that got a 200).  Return the
	Poster, with its counters, and statistics for --stats."""
	poster = Poster(args.post, args.token, args.concurrency,
					args.attempts, args.timeout)
	split = next((i for i, d in enumerate(plan)
				  if d.kind in ("late", "resend")), len(plan))
	results = poster.run([d.body for d in plan[:split]])

	tail = [d for d in plan[split:]
			if d.kind != "resend" or results[d.original] == 200]
	results += poster.run([d.body for d in tail])
	sent = plan[:split] + tail

	stats = {"acked_clicks": 0, "acked_resends": 0, "skipped_resends":
			 len(plan) - len(sent)}
	for delivery, status in zip(sent, results):
		if status == 200 and delivery.kind in ("click", "late"):
			stats["acked_clicks"] += 1
		elif status == 200 and delivery.kind == "resend":
			stats["acked_resends"] += 1
	stats["kinds"] = kind_counts(sent)
	return poster, stats


def format_counts(table):
	"""{"200": 5, "400": 1} as "200: 5, 400: 1", numbers first."""
	keys = sorted(table, key=lambda k: (not k.isdigit(), k))
	return ", ".join("%s: %d" % (k, table[k]) for k in keys) or "none"


def retry_text(retries):
	"""The number of retries, with their causes when there were any."""
	total = sum(retries.values())
	return "%d (%s)" % (total, format_counts(retries)) if total else "0"


def describe(kinds):
	"""A short account of a plan's kinds of deliveries."""
	clicks = kinds.get("click", 0) + kinds.get("late", 0)
	broken = sum(kinds.get(k, 0) for k in BROKEN_KINDS)
	return "%d clicks (%d late), %d re-sent, %d tests, %d broken" % (
		clicks, kinds.get("late", 0), kinds.get("resend", 0),
		kinds.get("test", 0), broken)


def run(args):
	"""Build the plan for args, then write it or post it; return the exit
	status."""
	base_ms = args.base_ms
	started = time.monotonic()
	sessions, plan = build_plan(args, base_ms)
	stats = {"seed": args.seed, "sessions": len(sessions),
			 "base_time": iso_ms(base_ms),
			 "clicks": sum(len(s.clicks) for s in sessions)}
	chosen = showcase(sessions, plan)
	stats["showcase_session"] = chosen.key if chosen else None

	if args.out:
		with open(args.out, "wb") as f:
			for delivery in plan:
				f.write(delivery.body + b"\n")
		stats["kinds"] = kind_counts(plan)
		line = "generate: wrote %d bodies to %s: %s" % (
			len(plan), args.out, describe(stats["kinds"]))
	else:
		poster, more = post_plan(args, plan)
		stats.update(more)
		stats.update(statuses=poster.statuses, outcomes=poster.outcomes,
					 retries=poster.retries, gave_up=poster.gave_up)
		line = "generate: posted %d bodies in %.1f s: %s; statuses %s; " \
			"retries: %s; gave up: %d" % (
				sum(poster.statuses.values()), time.monotonic() - started,
				describe(stats["kinds"]), format_counts(poster.statuses),
				retry_text(poster.retries), poster.gave_up)

	if args.stats:
		with open(args.stats, "w") as f:
			json.dump(stats, f, indent=1, sort_keys=True)
	if not args.quiet:
		print(line)
	failed = not args.out and (poster.gave_up or "connection error"
							   in poster.statuses)
	return 1 if failed else 0


# ----------------------------------------------------------------------
# Self-check
# ----------------------------------------------------------------------

ISO_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\Z")
SESSION = re.compile(r"(\d{1,20})(?:%3A|%3a|:)(\d{1,20})\Z")


def parse_iso_ms(text):
	"""Unix milliseconds of an ISO_MS time; ValueError if it is not one."""
	if not isinstance(text, str) or not ISO_MS.match(text):
		raise ValueError("not an ISO 8601 time with milliseconds")
	secs = calendar.timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S"))
	return secs * 1000 + int(text[20:23])


def check_click(body, lo_ms, hi_ms):
	"""Problems with one clean click body, as a list of strings; the
	decoded (session key, time) is appended as the last item when the
	body is sound."""
	if b"\n" in body:
		return ["raw newline in a body"]
	doc = json.loads(body)
	problems = ["missing \"%s\"" % k for k in CLICK_KEYS[:6] + ("session_id",)
				if k not in doc]
	if problems:
		return problems
	texts = [doc[k] for k in ("target_text", "element_name", "page_url",
							  "session_replay_url", "session_id")]
	if not all(isinstance(t, str) for t in texts):
		return ["a text key is not a string"]

	# The session key decodes into two unsigned 64-bit decimal ids
	m = SESSION.match(doc["session_id"])
	if not m or max(int(m.group(1)), int(m.group(2))) >= 2 ** 64:
		return ["bad session_id \"%s\"" % doc["session_id"]]

	# Times parse, agree with each other and fall in the window
	try:
		at_ms = parse_iso_ms(doc["timestamp"])
	except ValueError as e:
		return ["timestamp \"%s\": %s" % (doc["timestamp"], e)]
	if doc["timestamp_unix"] != at_ms // 1000:
		problems.append("timestamp_unix disagrees with timestamp")
	if not lo_ms <= at_ms <= hi_ms:
		problems.append("timestamp %s outside the window" % doc["timestamp"])

	# The replay link and the page URL
	replay = "%s%s%%3A%s?ts=%d" % (REPLAY_PREFIX, m.group(1), m.group(2),
								   at_ms)
	if doc["session_replay_url"] != replay:
		problems.append("bad session_replay_url")
	url = urllib.parse.urlsplit(doc["page_url"])
	if url.scheme != "https" or url.hostname not in (APP_HOST, SITE_HOST):
		problems.append("bad page_url \"%s\"" % doc["page_url"])
	uid = doc.get("user_id")
	if uid and not re.match(r"user-\d{9}\Z", uid):
		problems.append("bad user_id \"%s\"" % uid)
	return problems + [(m.group(1) + ":" + m.group(2), at_ms)]


def check_broken(delivery, base_ms):
	"""A problem with a broken body that is not broken as meant, or None."""
	body = delivery.body
	try:
		doc = json.loads(body)
	except ValueError:
		doc = ValueError
	if delivery.kind in ("not_json", "truncated"):
		return None if doc is ValueError else "%s parses" % delivery.kind
	if not isinstance(doc, dict):
		return "%s is not an object" % delivery.kind
	if delivery.kind == "test":
		return None if set(doc.values()) == {""} else "test not all empty"
	if delivery.kind == "no_session":
		return None if doc.get("session_id") is None else \
			"no_session has one"
	try:
		at_ms = parse_iso_ms(doc["timestamp"])
	except ValueError:
		return None
	if at_ms < 946684800000 or at_ms > base_ms + 86400 * 1000:
		return None
	return "bad_timestamp has a good time"


def check_plan(args, base_ms, sessions, plan):
	"""Every problem with one plan, as a list of strings."""
	problems = []
	lo_ms = base_ms - int(args.hours * 3600 * 1000) - 3600 * 1000
	seen = set()
	for index, d in enumerate(plan):
		if d.kind in ("click", "late"):
			found = check_click(d.body, lo_ms, base_ms)
			if found and isinstance(found[-1], tuple):
				if found[-1] in seen:
					problems.append("two clicks at the same instant")
				seen.add(found.pop())
			problems += ["body %d: %s" % (index, p) for p in found]
		elif d.kind == "resend":
			if d.original >= index or plan[d.original].body != d.body:
				problems.append("body %d: resend without its original" % index)
		else:
			found = check_broken(d, base_ms)
			if found:
				problems.append("body %d: %s" % (index, found))
	if len(seen) != sum(len(s.clicks) for s in sessions):
		problems.append("clicks delivered do not match clicks made")
	return problems


def check_variety(plan):
	"""Problems if the plan lacks a kind of content the demo relies on."""
	bodies = [json.loads(d.body) for d in plan if d.kind == "click"]
	wanted = {
		"identified users": lambda b: (b.get("user_id") or "") != "",
		"user_id absent": lambda b: "user_id" not in b,
		"user_id null": lambda b: "user_id" in b and b["user_id"] is None,
		"user_id empty": lambda b: b.get("user_id") == "",
		"%3a separators": lambda b: "%3a" in b["session_id"],
		"raw colons": lambda b: ":" in b["session_id"],
		"ids past 2^63": lambda b: int(SESSION.match(
			b["session_id"]).group(1)) >= 2 ** 63,
		"icon buttons": lambda b: b["target_text"] == "" and
		b["element_name"] != "",
		"unnamed elements": lambda b: b["target_text"] == "" and
		b["element_name"] == "",
		"long texts": lambda b: len(b["target_text"]) > 1000,
		"Japanese": lambda b: "を" in b["target_text"],
		"Arabic": lambda b: re.search("[\u0600-\u06ff]", b["target_text"]),
		"umlauts": lambda b: re.search("[äöüß]", b["target_text"]),
		"emoji": lambda b: re.search("[\U0001F300-\U0001FAFF]",
									 b["target_text"]),
		"UUIDs in paths": lambda b: re.search("/[0-9a-f]{8}-", b["page_url"]),
		"query strings": lambda b: "?" in b["page_url"],
		"fragments": lambda b: "#" in b["page_url"],
		"extra keys": lambda b: "country" in b,
	}
	kinds = kind_counts(plan)
	problems = ["no %s" % name for name, test in wanted.items()
				if not any(test(b) for b in bodies)]
	return problems + ["no \"%s\" deliveries" % k for k in
					   ("late", "resend", "test") + BROKEN_KINDS
					   if not kinds.get(k)]


def self_check():
	"""Build plans for a few seeds and check them; return the exit
	status."""
	problems = []
	checked = 0
	base_ms = calendar.timegm((2025, 10, 21, 15, 0, 0)) * 1000
	now_ms = int(time.time() // 60 * 60000)
	for seed, base in ((1, base_ms), (2, base_ms), (3, now_ms)):
		args = argparse.Namespace(seed=seed, sessions=300, clicks=None,
								  clean=False, hours=3.0)
		sessions, plan = build_plan(args, base)
		found = check_plan(args, base, sessions, plan) + check_variety(plan)
		problems += ["seed %d: %s" % (seed, p) for p in found]
		checked += len(plan)

	# The same seed gives the same bytes; another seed does not
	args = argparse.Namespace(seed=1, sessions=300, clicks=None, clean=False,
							  hours=3.0)
	first = [d.body for d in build_plan(args, base_ms)[1]]
	if first != [d.body for d in build_plan(args, base_ms)[1]]:
		problems.append("seed 1 is not repeatable")
	args.seed = 2
	if first == [d.body for d in build_plan(args, base_ms)[1]]:
		problems.append("seeds 1 and 2 give the same bodies")

	# --clicks N --clean gives exactly N clean clicks
	for n in (1, 7, 2500):
		args = argparse.Namespace(seed=5, sessions=300, clicks=n,
								  clean=True, hours=3.0)
		sessions, plan = build_plan(args, base_ms)
		if len(plan) != n or any(d.kind != "click" for d in plan):
			problems.append("--clicks %d --clean gave %d bodies" %
							(n, len(plan)))
		problems += ["clicks %d: %s" % (n, p)
					 for p in check_plan(args, base_ms, sessions, plan)]
		checked += len(plan)

	for p in problems[:30]:
		print("self-check: " + p, file=sys.stderr)
	print("self-check: %s, %d bodies checked" % (
		"FAILED" if problems else "ok", checked))
	return 1 if problems else 0


# ----------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------

def parse_base_time(text):
	"""--base-time: "2025-10-21T15:00:00Z" as unix milliseconds."""
	try:
		return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ")) \
			* 1000
	except ValueError:
		raise argparse.ArgumentTypeError(
			"expected a UTC time like 2025-10-21T15:00:00Z")


def parse_args(argv):
	"""The command line, checked."""
	p = argparse.ArgumentParser(
		description="Seeded FullStory-like click webhook traffic.",
		epilog="Without --base-time, click times end at the current minute, "
		"so only the times differ between runs with the same seed.")
	mode = p.add_mutually_exclusive_group(required=True)
	mode.add_argument("--out", metavar="FILE",
					  help="write the bodies to FILE, one per line (split "
					  "on \\n only), in delivery order")
	mode.add_argument("--post", metavar="URL",
					  help="post the bodies to URL, e.g. "
					  "http://127.0.0.1:54411/ingest")
	mode.add_argument("--self-check", action="store_true",
					  help="validate the generator's own output and exit")
	p.add_argument("--seed", type=int, default=1)
	p.add_argument("--sessions", type=int, default=300, metavar="N",
				   help="number of sessions (default 300)")
	p.add_argument("--clicks", type=int, metavar="N",
				   help="exactly N clean clicks, adding or cutting sessions")
	p.add_argument("--clean", action="store_true",
				   help="clean clicks only, in time order: no tests, broken "
				   "bodies, late clicks or resends")
	p.add_argument("--hours", type=float, default=3.0,
				   help="spread sessions over this many hours before the "
				   "base time (default 3)")
	p.add_argument("--base-time", dest="base_ms", type=parse_base_time,
				   metavar="TIME",
				   help="end of the time window, e.g. 2025-10-21T15:00:00Z "
				   "(default: now, rounded down to the minute)")
	p.add_argument("--token", default=None,
				   help="bearer token (default: $AUTOPLAY_TOKEN)")
	p.add_argument("--concurrency", type=int, default=4, metavar="K",
				   help="parallel keep-alive connections (default 4)")
	p.add_argument("--attempts", type=int, default=6,
				   help="tries per body on 5xx or connection errors "
				   "(default 6)")
	p.add_argument("--timeout", type=float, default=10.0,
				   help="seconds to wait for an answer (default 10)")
	p.add_argument("--stats", metavar="FILE",
				   help="write counts and the showcase session as JSON")
	p.add_argument("--quiet", action="store_true",
				   help="no summary line")
	args = p.parse_args(argv)

	if args.base_ms is None:
		args.base_ms = int(time.time() // 60 * 60000)
	if args.sessions < 1 or (args.clicks is not None and args.clicks < 1):
		p.error("--sessions and --clicks must be positive")
	if args.hours <= 0 or args.hours > 20:
		p.error("--hours must be above 0 and at most 20")
	if args.post:
		args.token = args.token or os.environ.get("AUTOPLAY_TOKEN")
		if not args.token:
			p.error("--post needs --token or AUTOPLAY_TOKEN")
	return args


def die_of_sigint():
	"""End the process by SIGINT, so that a shell waiting for it sees the
	interrupt and stops too."""
	print("generate: interrupted", file=sys.stderr)
	sys.stderr.flush()
	signal.signal(signal.SIGINT, signal.SIG_DFL)
	os.kill(os.getpid(), signal.SIGINT)
	sys.exit(130)


def main(argv):
	"""Entry point; returns the exit status.  Ctrl-C stops the generator
	even when a script started it in the background, where SIGINT comes
	ignored."""
	signal.signal(signal.SIGINT, signal.default_int_handler)
	args = parse_args(argv)
	if args.self_check:
		return self_check()
	try:
		return run(args)
	except (OSError, ValueError, DeliveryStopped) as e:
		print("generate: %s" % e, file=sys.stderr)
		return 1
	except KeyboardInterrupt:
		die_of_sigint()


if __name__ == "__main__":
	sys.exit(main(sys.argv[1:]))
