#!/usr/bin/env python3
#
# bench/twin_cases.py
#	  Seeded edge cases for comparing twin.ingest with autoplay_ingest.
#
# The benchmark data exercises the common path; these bodies exercise the
# rules: every time, session key, label, URL and field shape that the
# regression tests in sql/ show, the parser inputs in fuzz/corpus, and
# random strings drawn from the characters each parser cares about.  One
# body per line, as compact JSON, on standard output.  bench/run.sh
# ingests each with both functions, one call each, and counts the bodies
# whose result, stored row or reject differ.
#
# Usage: twin_cases.py [--seed N] [--random N] [--corpus DIR]

import argparse
import json
import os
import random
import sys

SID = "3350978756809951428%3A8226444501427639735"
TS = "2025-10-21T14:17:34.073Z"

TIMES = [
	"2025-10-21T14:17:34.073Z", "2025-10-21 14:17:34.074Z",
	"2025-10-21t14:17:34.075z", "2025-10-21T16:17:34.076+02:00",
	"2025-10-21T16:17:34.077+0200", "2025-10-21T08:47:34.078-05:30",
	"2025-10-21T14:17:34Z", "2025-10-21T14:17:35.1Z",
	"2025-10-21T14:17:36.123456789Z", "2024-02-29T23:59:59.999999Z",
	"2000-01-01T00:00:00Z", "2025-10-21T14:17:34.073",
	"2025-10-21T14:17:34.073+02", "now", "infinity", "epoch", "today",
	" Infinity ", "NOW", "-infinity", "+infinity", "allballs", "tomorrow",
	"yesterday noon", "21/10/2025 14:17", "2025-10-21T14:17:34.0731234567Z",
	"2025-10-21T14:17:34.Z", "2025-13-01T00:00:00Z", "2023-02-29T00:00:00Z",
	"2025-10-21T24:00:00Z", "2025-10-21T14:17:60Z", "1999-12-31T23:59:59.999Z",
	"9" * 100, "2000-02-29T12:00:00+01:00", "1900-02-29T00:00:00Z",
	"2025-02-30T00:00:00Z", "2025-10-21T14:17:34+25:00",
	"2025-10-21T14:17:34+23:60", "0000-01-01T00:00:00+23:59",
	"9999-12-31T23:59:59.999999-23:59", "1999-12-31T23:30:00-01:00",
	"1999-12-31T23:59:59+00:00", "2000-01-01T00:00:00+00:01",
	"2025-10-21T14:17:34.073Z ", " 2025-10-21T14:17:34.073Z",
	"2025-10-21T14:17:34.073+02:00Z", "2025-10-21T14:17:34,073Z",
	"2025-1-21T14:17:34Z", "2025-10-21TT14:17:34Z", "２０２５-10-21T14:17:34Z",
	"2025-10-21T14:17:34.000000000Z", "2025-10-21T14:17:34.9999999Z",
	"2025-00-10T00:00:00Z", "2025-10-00T00:00:00Z", "2025-04-31T00:00:00Z",
	"2100-02-29T00:00:00Z", "2400-02-29T00:00:00Z", "",
]

UNIX = [
	1761056254, "1761056255", 1761056256073, "1761056257073", 1761056258.5,
	99999999999, 100000000000, "1.7e9", "abc", " 1761056254", True,
	-1761056254, 123456789012345678901234567890, "1761056254.073",
	"9223372036854.775807", "100000000000.9999", "-1.5", "1e9",
	"1761056254.", ".5", "-", "0", "946684800", "946684799.999999",
	"1761056254.0739999", "00001761056254", "10000000000000000",
	"10000000000000001", "9223372036854775", "9223372036854776",
	"9223372036854775.807", "9223372036854775.808", "", None, False,
]

# Both present: the disagreement note and its exceptions
UNIX_WITH_TS = [1761056254, 1761056255, 1761056256, 1761056000,
				1761056254073, "soon", "", 1761056255.074, 1761056253.072,
				"1761056252.9", 99999999999999999999, "-5"]

SESSIONS = [
	SID, "3350978756809951428%3a8226444501427639735",
	"3350978756809951428%253A8226444501427639735",
	"3350978756809951428%253a8226444501427639735",
	"3350978756809951428:8226444501427639735",
	"18446744073709551000%3A9300000000000000001", "abc_DEF-1%3Axyz-9_Q",
	"d" * 64 + "%3A" + "s" * 64, "123", 12345, "1%3A2%3A3", "1:2%3A3",
	"%3A2", "1%3A", "1%2F2", "1%3", "1 %3A2", "ü%3A2", "1.5%3A2",
	"d" * 65 + "%3A2", "1%3A" + "s" * 65, "%3A", "%253A", ":", "::",
	"%3A%3a", "1%3B2", "%", "1%25%3A2", "a%253Ab%3Ac", "{{session}}",
	"event.0.session_id", "1%253", "1%25", "%3A2%", "a" * 70, "1%3A2 ",
	"1\n%3A2", "%253a%3A", True, 1.5, "1%3A" + "s" * 64 + "%",
]

LABELS = [
	"Export CSV", "Starter plan\n  $12 / month\n\n  Choose",
	"\t Save\r\nchanges \t", "Pay\u00a0now\u3000\u200bok\u2028x", "",
	" \n\t ", "  Close\ndialog ", "\U0001F680 Launch",
	"\u062d\u0641\u0638  \u0627\u0644\u062a\u063a\u064a\u064a\u0631\u0627\u062a",
	"word " * 400, "\u00e9t\u00e9 " * 100, "a" * 255 + " b", "a" * 254 + " b",
	"a" * 256, "a" * 257, "a" * 255 + "\u00a0" + "bc", "\u200b", "\ufeff x \ufeff",
	"x\u200by", "x \u200b y", "\u0085a\u1680b\u2000c\u200ad\u2029e\u202ff\u205fg",
	"\u180e mongolian", "\u200c\u200d joiners", "\u2060 word joiner",
	"\x0b\x0c vt ff", "\x1c\x1d\x1e\x1f separators", "tab\tin\tside",
	"é" * 300, "\U0001F468\u200d\U0001F469" * 100, "{{target_text}}",
	"event.0.target_text", "var", "concat", "toUnixTimestamp", "event.0",
	"event.01", "event.x.y", 1.50, True, 7731, None,
]

URLS = [
	"https://app.example.com/reports",
	"https://app.example.com/projects/48213/settings?tab=members#invite",
	"HTTPS://App.Example.COM:443/Projects/7/",
	"http://localhost:3000/orders/1001/items/2",
	"https://app.example.com/o/3f2b8c1e-9d4a-4b6f-8e2d-1a2b3c4d5e6f/edit",
	"https://app.example.com/c/5f8d0a3b2c1e4f6a7b8c9d0e",
	"https://app.example.com/checkout/cs_live_a1B2c3D4e5F6g7H8",
	"https://app.example.com/api/v2/users",
	"https://app.example.com/settings/billing-and-plans",
	"https://app.example.com", "not a url", "", "http://localhost:3000/dashboard",
	"https://example.com", "https://example.com?q=1", "https://example.com#top",
	"https://example.com/p?#", "https://user:secret@example.com/p",
	"http://[::1]:8080/p", "https://example.com/café/menü",
	"chrome-extension://abcdef/popup.html", "/relative/path",
	"example.com/no-scheme", "https://", "https://exa mple.com/",
	"https://example.com:99999/", "https://[::1/p", "mailto:jane@example.com",
	"https://example.com\\x", "//example.com/x", "https://example.com:/x",
	"https://host#/route/7", "http://127.0.0.1:65535/", "http://[::1]/",
	"https://[2001:db8::1]:443/a/b", "https://host?only=query",
	"HTTP://Example.COM:80", "http://user:pa%40ss@example.com:8080/path/to?q=1&r=2#frag",
	"https://пример.рф/путь/страница", "wss://socket.example.com/live",
	"ws://h:80/x", "WSS://H:443/x", "ftp://h:21/x", "https://h:0443/x",
	"http://h:080/x", "https://h:65536/", "https://h:123456/", "https://h:8a/",
	"https://a@b@c.com/x", "https://[]/x", "https://[::1]x/", "https://[::1]:/x",
	"https://[g::1]/x", "https://h[1]/x", "https://h]/x", "https://:80/x",
	"https://h:80:90/x", "a+b.c-d://h/x", "1http://h/x", "http:/h/x",
	"https://h/a//b//", "https://h//", "https://h/users/9f86d081884c7d65/",
	"https://h/t/AbCdEf0123456789xyz/view", "https://h/p/550e8400-e29b-41d4-a716-446655440000/edit",
	"https://h/p/550E8400-E29B-41D4-A716-446655440000", "https://h/x/abcdefabcdef",
	"https://h/x/abcdefabcde1", "https://h/x/abcdefabcd1", "https://h/x/aaaaaaaaaaaaaaa1",
	"https://h/x/aaaaaaaaaaaaaaaa1", "https://h/x/________________1a",
	"https://h/x/1234567890123456", "https://h/x/----------------", "https://h/x/v2",
	"https://h/x/a1b2-c3d4_e5f6g7h8", "https://h/x/ABCDEF123456", "https://h/x/0",
	"https://h/x/%20/y", "https://h/x/a.b/1.2", "https://h/é1234567890123456",
	"https://h/x?y=1/2", "https://h/x#a/1", "https://h\x7f/x", "https://h/\tx",
	"https://EXAMPLE.com/ÄÖ", "https://ÄÖ.example/x", 42, True,
	"https://h/" + "a1" * 200, "https://h/" + "/".join(str(i) for i in range(50)),
	"https://h/blog/2025-10-product-update", "https://h/r/release-notes-2025-q3",
	"https://h/p/product_v2_launch_2025", "https://h/o/order-a1b2-c3d4e5f6g7",
	"https://h/x/a1-b2-c3-d4-e5-f6-g7", "https://h/x/aaaa-1111-b2c-dddd",
	"https://h/x/x-ab1-cd2e-ffffffff", "https://h/x/abc1-defg-hijk-lmno",
	"https://h/x/ab1-defg-hijk-lmnop", "https://h/x/abcdef123456-word",
	"https://h/x/------------abc1", "https://h/x/_a1b_2c3d_4e5f_6g7",
]

EXTRAS = [
	{}, {"country": "PT"}, {"page_name": "Billing", "country": "Portugal",
	"referer_url": None, "ua_browser": "", "screen": {"w": 1440, "h": 900},
	"tags": [1, "two"]}, {"Target_Text": "Save"}, {"": ""},
	{"n": 1.50, "b": False, "z": 1e20, "s": "é\u2028"},
]


def fixed_cases():
	"""The regression tests' inputs and the parsers' corner cases."""
	base = {"session_id": SID, "timestamp": TS}
	cases = []
	for t in TIMES:
		cases.append({"session_id": "1%3A2", "target_text": t, "timestamp": t})
	for u in UNIX:
		cases.append({"session_id": "1%3A4", "timestamp_unix": u})
	for u in UNIX_WITH_TS:
		cases.append({"session_id": "1%3A5", "timestamp": TS,
					  "timestamp_unix": u, "target_text": json.dumps(u)})
	for s in SESSIONS:
		cases.append({"session_id": s, "timestamp": TS,
					  "target_text": json.dumps(s)})
	for text in LABELS:
		cases.append(dict(base, target_text=text, element_name="Menu"))
		cases.append(dict(base, target_text="", element_name=text))
		cases.append(dict(base, element_name=text, page_url="https://a.b/"))
	for url in URLS:
		cases.append(dict(base, page_url=url))
	for extra in EXTRAS:
		cases.append(dict(base, target_text="Go", **extra))
	cases += [
		{}, {"ping": True},
		{"target_text": "", "element_name": None, "page_url": "",
		 "timestamp": None, "timestamp_unix": None, "session_id": "%3A",
		 "user_id": "", "user_email": ""},
		{"page_url": ["var", "event.0.url"], "session_id": "%3A",
		 "timestamp": "{{event.0.event_time}}"},
		{"target_text": "event.0.target_text", "session_id": "%253A"},
		{"target_text": "Save", "session_id": "%3A"},
		{"page_url": ["concat", "a"], "session_id": ["var", "x"]},
		{"page_url": ["x", "var"], "session_id": "%3A"},
		{"page_url": [], "session_id": "%3A"},
		{"page_url": {}, "session_id": "%3A"},
		{"user_id": 0}, {"user_email": False}, {"timestamp_unix": "toUnixTimestamp"},
		dict(base, target_text={"text": "Save"}), dict(base, user_id=["a", "b"]),
		{"session_id": ["1", "2"], "timestamp": TS},
		dict(base, user_id=7731, target_text=1.50, element_name=True,
			 user_email=18446744073709551616),
		dict(base, timestamp=1761056254), dict(base, timestamp=True),
		{"timestamp": TS, "target_text": "a"},
		{"timestamp": TS, "session_id": None, "target_text": "a"},
		{"session_id": "1%3A2", "target_text": "Save"},
		{"session_id": "1%3A2", "timestamp": None, "timestamp_unix": ""},
		{"session_id": "1%3A6", "timestamp": "", "timestamp_unix": 1761056254},
		[], [[]], [42], "hello", None, 42, [{"session_id": "1%3A2"}],
		[dict(base, target_text="A"), dict(base, target_text="A"),
		 {"session_id": "1%3A2", "timestamp": "not a time"}, {}, 42,
		 [dict(base)], dict(base, target_text="C")],
		[dict(base, target_text="dup")] * 3,
		{"session_id": "1%3A2", "timestamp": "2001-02-03T04:05:06Z"},
		{"session_id": "1%3A2", "timestamp": "2025-10-31T23:59:59.999999Z"},
		{"session_id": "1%3A2", "timestamp": "2025-11-01T00:00:00Z"},
	]
	return cases


def corpus_cases(corpus):
	"""The fuzz corpus files of the URL, time and session parsers."""
	cases = []
	for sub, make in (
			("parse_url", lambda v: {"session_id": SID, "timestamp": TS,
									 "page_url": v}),
			("canonical_url", lambda v: {"session_id": SID, "timestamp": TS,
										 "page_url": v}),
			("parse_time", lambda v: {"session_id": SID, "timestamp": v}),
			("parse_session", lambda v: {"session_id": v, "timestamp": TS})):
		folder = os.path.join(corpus, sub)
		if not os.path.isdir(folder):
			continue
		for name in sorted(os.listdir(folder)):
			raw = open(os.path.join(folder, name), "rb").read()
			try:
				text = raw.decode("utf-8")
			except UnicodeDecodeError:
				continue
			if "\x00" not in text:
				cases.append(make(text))
	return cases


def random_text(rng, alphabet, longest):
	"""A random string of 0 to longest characters drawn from alphabet."""
	return "".join(rng.choice(alphabet)
				   for _ in range(rng.randint(0, longest)))


def random_cases(rng, count):
	"""Random values for each parser, from the characters it cares about,
	plus mutations of good values."""
	time_chars = "0123456789-:T tZz+.e"
	sid_chars = "0123456789aZ_-:%3A25 .é"
	url_chars = "ab09/?#:@[].%-_AZhtps \\é"
	slug_chars = "ab1-_9Zq"
	label_chars = ["a", "b", " ", "\t", "\n", "\u00a0", "\u200b", "\ufeff",
				   "\u3000", "\u2028", "é", "\U0001F680", "\u0085", "\x0b"]
	good_url = "https://App.Example.com:443/p/12/x?q=1#f"
	cases = []
	for i in range(count):
		which = i % 5
		if which == 0:
			t = (random_text(rng, time_chars, 30) if rng.random() < 0.3 else
				 mutate(rng, TS, time_chars))
			cases.append({"session_id": SID, "timestamp": t,
						  "timestamp_unix": rng.choice([None, 1761056254, t])})
		elif which == 1:
			u = mutate(rng, "1761056254.073", "0123456789.-e ")
			cases.append({"session_id": SID, "timestamp_unix": u})
		elif which == 2:
			s = (random_text(rng, sid_chars, 12) if rng.random() < 0.5 else
				 mutate(rng, "12%3A34", sid_chars))
			cases.append({"session_id": s, "timestamp": TS, "user_id": "u"})
		elif which == 3:
			r = rng.random()
			if r < 0.2:
				u = random_text(rng, url_chars, 40)
			elif r < 0.6:
				u = "https://h/s/" + random_text(rng, slug_chars, 30)
			else:
				u = mutate(rng, good_url, url_chars)
			cases.append({"session_id": SID, "timestamp": TS, "page_url": u})
		else:
			label = "".join(rng.choice(label_chars)
							for _ in range(rng.choice((3, 10, 255, 256, 257, 300))))
			cases.append({"session_id": SID, "timestamp": TS,
						  "target_text": label})
	return cases


def mutate(rng, value, alphabet):
	"""value with one to three characters replaced, inserted or removed."""
	chars = list(value)
	for _ in range(rng.randint(1, 3)):
		op = rng.random()
		pos = rng.randint(0, len(chars))
		if op < 0.4 and pos < len(chars):
			chars[pos] = rng.choice(alphabet)
		elif op < 0.7:
			chars.insert(pos, rng.choice(alphabet))
		elif pos < len(chars):
			del chars[pos]
	return "".join(chars)


def main():
	"""Write the cases, one JSON body a line."""
	parser = argparse.ArgumentParser(description=__doc__)
	parser.add_argument("--seed", type=int, default=1)
	parser.add_argument("--random", type=int, default=3000)
	parser.add_argument("--corpus", default=os.path.join(
		os.path.dirname(os.path.abspath(__file__)), "..", "fuzz", "corpus"))
	args = parser.parse_args()

	rng = random.Random(args.seed)
	cases = fixed_cases() + corpus_cases(args.corpus) + \
		random_cases(rng, args.random)
	out = sys.stdout
	for case in cases:
		out.write(json.dumps(case, ensure_ascii=False,
							 separators=(",", ":")) + "\n")


if __name__ == "__main__":
	main()
