#-------------------------------------------------------------------------
#
# 100_hostile.pl
#	  Hostile input: huge, deep, wide and broken bodies, slow and idle
#	  connections.  Each gets a definite 2xx or 4xx (or, for a request
#	  that never arrives whole, no answer and nothing stored), nothing
#	  crashes, the gateway's memory stays bounded and it keeps serving.
#
# Two gateways share one database.  "hostile" takes bodies up to 16MB and
# closes connections idle for 4 s; "defaults" runs with the default
# --max-body (1MB) and --timeout (30 s), for the size limit and for the
# idle connections, which must not keep a normal request waiting.  It
# allows only 127.0.0.1: the idle connections come from 127.0.0.2, an
# address that may not even send a request.
#
# The statuses follow README's table: a body that is not JSON (empty, cut
# short, nested over 64 deep) is 400 with 22032 and kept byte for byte;
# null and a bare string are 400 with 2203C; a batch with any good click
# is 200 and keeps its good clicks; a body over --max-body is 413.
#
# --timeout closes a connection that sends nothing for that long.  A body
# that trickles in a byte a second is therefore read to its end and
# answered, as a slow uplink should be.  A head (request line and
# headers) that keeps growing slowly is bounded only by the server's
# header memory (431); the README leaves header deadlines to the TLS
# proxy in front.  What must hold meanwhile is that other clients are
# served.
#
# t/100_hostile.pl
#
#-------------------------------------------------------------------------

use strict;
use warnings;

use HTTP::Tiny;
use IO::Select;
use IO::Socket::INET;
use List::Util ();
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep time);

use AutoplayGateway;

my $timeout = 4;				# --timeout of the "hostile" gateway
my $rss_limit_kb = 64 * 1024;	# the bound on each gateway's memory
my $idle_count = 2000;			# idle connections in the storm

# The idle connections need more descriptors than the usual soft limit of
# 1024; raise it (within the hard limit) before any gateway is started, so
# that the gateways inherit it too
my ($soft, $hard) =
  slurp_file("/proc/$$/limits") =~ /^Max open files\s+(\S+)\s+(\S+)/m;
my $want = $idle_count + 500;
if ($soft ne 'unlimited' && $soft < $want)
{
	$want = $hard if $hard ne 'unlimited' && $hard < $want;
	system('prlimit', "--pid=$$", "--nofile=$want:") == 0
	  or note("could not raise the limit on open files with prlimit");
}

my $node = AutoplayGateway::database_node('hostile');

my $gw = AutoplayGateway->start(
	node => $node,
	env => { AUTOPLAY_TOKEN => $AutoplayGateway::TOKEN },
	args => [ '--max-body', '16MB', '--timeout', $timeout, '--log-requests' ],
	name => 'hostile');
my $plain = AutoplayGateway->start(
	node => $node,
	env => { AUTOPLAY_TOKEN => $AutoplayGateway::TOKEN },
	args => [ '--allow', '127.0.0.1/32', '--log-requests' ],
	name => 'defaults');

# body_of: click_json($n) with fields set to raw JSON values: a field it
# has is replaced, another is added
sub body_of
{
	my ($n, %raw) = @_;
	my $json = AutoplayGateway::click_json($n);
	my @added;

	for my $key (sort keys %raw)
	{
		push @added, "\"$key\": $raw{$key}"
		  unless $json =~ s/"\Q$key\E": (?:"[^"]*"|\d+)/"$key": $raw{$key}/;
	}
	$json =~ s/}$/', ' . join(', ', @added) . '}'/e if @added;
	return $json;
}

# stored: the SQL expression $expr of click $n as stored ('' when it is
# not there), e.g. stored(7, 'count(*)')
sub stored
{
	my ($n, $expr) = @_;
	my ($key, $unix) = split / /, AutoplayGateway::click_key($n);

	return $node->safe_psql('postgres',
		    "SELECT $expr FROM autoplay.clicks "
		  . "WHERE session_key = '$key' AND occurred_unix = $unix");
}

# last_reject: code, reason and size of the stored body of the newest
# reject, "code|reason|bytes of raw_body|payload"
sub last_reject
{
	return $node->safe_psql('postgres',
		    "SELECT code || '|' || reason || '|' || "
		  . "coalesce(length(raw_body)::text, '-') || '|' || "
		  . "coalesce(payload::text, '-') "
		  . 'FROM autoplay.rejects ORDER BY id DESC LIMIT 1');
}

# healthy: the gateway still answers /healthz with 200
sub healthy
{
	my ($g, $what) = @_;
	is($g->request('GET', '/healthz', token => undef)->{status},
		200, "$what: /healthz still 200");
	return;
}

# memory_ok: the gateway's resident memory, now and at its peak so far,
# is within the bound
sub memory_ok
{
	my ($g, $what) = @_;
	my $kb = $g->rss_kb;
	my $peak = $g->rss_kb(1);

	ok( defined $kb && defined $peak && $peak < $rss_limit_kb,
		"$what: gateway memory bounded ("
		  . ($kb // '?') . ' kB, peak ' . ($peak // '?') . ' kB)');
	return;
}

# head: the head of POST /ingest on $g with extra header lines
sub head
{
	my ($g, @lines) = @_;
	return join('',
		map { "$_\r\n" } 'POST /ingest HTTP/1.1',
		'Host: 127.0.0.1:' . $g->port,
		"Authorization: Bearer $AutoplayGateway::TOKEN",
		'Content-Type: application/json', @lines) . "\r\n";
}

# fd_limit: the soft limit on open files of process $pid
sub fd_limit
{
	my ($pid) = @_;
	my $limits = slurp_file("/proc/$pid/limits");
	return $limits =~ /^Max open files\s+(\S+)/m ? $1 : '?';
}

my ($res, $conn, $t0);

note('memory at start: ' . $gw->rss_kb . ' kB and ' . $plain->rss_kb . ' kB');

# An empty body: not JSON, kept as zero bytes
$res = $gw->post('');
is($res->{status}, 400, 'empty body: 400');
like($res->{content}, qr/"code": "22032"/, '... code 22032');
like(last_reject(), qr/^22032\|body is not valid JSON\|0\|-$/,
	'... kept in rejects as an empty raw body');

# null and a bare string: JSON, but not a click
$res = $gw->post('null');
is($res->{status}, 400, 'null: 400');
like($res->{content}, qr/"code": "2203C"/, '... code 2203C');
is(last_reject(), '2203C|element is not a JSON object|-|null',
	'... kept in rejects');
$res = $gw->post('"click"');
is($res->{status}, 400, 'a bare string: 400');
like($res->{content}, qr/"code": "2203C"/, '... code 2203C');
is(last_reject(), '2203C|element is not a JSON object|-|"click"',
	'... kept in rejects');
healthy($gw, 'after empty, null and bare string');

# A body cut short inside a value, sent whole: not JSON, kept exactly
my $cut = substr(AutoplayGateway::click_json(1), 0, 60);
$res = $gw->post($cut);
is($res->{status}, 400, 'JSON cut short: 400');
like($res->{content}, qr/"code": "22032"/, '... code 22032');
like($res->{content}, qr/The body ends inside a value at byte 60\./,
	'... cut inside a value');
is($node->safe_psql('postgres',
		'SELECT raw_body FROM autoplay.rejects ORDER BY id DESC LIMIT 1'),
	'\x' . unpack('H*', $cut), '... its exact bytes kept');

# A request whose body stops short of its Content-Length, then EOF: no
# answer and nothing stored
my $body = AutoplayGateway::click_json(2);
$conn = $gw->raw_connect;
$conn->send_bytes(head($gw, 'Content-Length: ' . length $body)
	  . substr($body, 0, 40));
$conn->shutdown_write;
ok($conn->closed_within(5), 'body shorter than Content-Length: closed');
ok(!defined $conn->read_response(1), '... without an answer');
is(stored(2, 'count(*)'), '0', '... nothing stored');

# A chunked body without its last chunk, then EOF: the same
$body = AutoplayGateway::click_json(3);
$conn = $gw->raw_connect;
$conn->send_bytes(head($gw, 'Transfer-Encoding: chunked')
	  . sprintf("%x\r\n%s\r\n", length $body, $body));
$conn->shutdown_write;
ok($conn->closed_within(5), 'chunked body without its last chunk: closed');
ok(!defined $conn->read_response(1), '... without an answer');
is(stored(3, 'count(*)'), '0', '... nothing stored');
healthy($gw, 'after bodies cut short');

# 1e400 is a valid JSON number: kept exactly in extra
$res = $gw->post(body_of(4, n => '1e400'));
is($res->{status}, 200, 'a field of 1e400: 200');
is(stored(4, "length(extra->>'n')"), '401', '... stored with all 401 digits');
$res = $gw->post(body_of(5, n => '-1e400', m => '1e-400'));
is($res->{status}, 200, 'fields of -1e400 and 1e-400: 200');
is(stored(5, 'count(*)'), '1', '... stored');

# ... but not a time
$res = $gw->post('{"session_id": "1%3A2", "timestamp_unix": 1e400}');
is($res->{status}, 422, 'timestamp_unix 1e400: 422');
like($res->{content}, qr/"code": "22008"/, '... code 22008 (out of range)');

# An object with 10,000 keys: every one kept in extra
my %wide = map { ("k$_" => $_) } 1 .. 10_000;
$res = $gw->post(body_of(6, %wide));
is($res->{status}, 200, 'object with 10,000 more keys: 200');
is(stored(6, '(SELECT count(*) FROM jsonb_object_keys(extra))'), '10000',
	'... all 10,000 kept in extra');
healthy($gw, 'after huge numbers and wide objects');

# Nested 10,000 deep: refused by the 64 levels limit, kept byte for byte
my $deep = '[' x 10_000 . ']' x 10_000;
$res = $gw->post($deep);
is($res->{status}, 400, 'arrays nested 10,000 deep: 400');
like($res->{content}, qr/"code": "22032"/, '... code 22032');
like($res->{content}, qr/nested more than 64 deep at byte 64/,
	'... says where');
is(last_reject(), '22032|body is not valid JSON|20000|-',
	'... all 20,000 bytes kept in rejects');
$res = $gw->post(body_of(7, x => '{"a": ' x 10_000 . '1' . '}' x 10_000));
is($res->{status}, 400, 'a click with a field nested 10,000 deep: 400');
like($res->{content}, qr/"code": "22032"/, '... code 22032');
is(stored(7, 'count(*)'), '0', '... not stored as a click');
healthy($gw, 'after deep nesting');

# A label of a megabyte (10^6 characters) fits in the default 1MB: 200,
# the label is cut, target_text kept whole
$res = $plain->post(body_of(8, target_text => '"' . 'x' x 1_000_000 . '"'));
is($res->{status}, 200, 'label of 10^6 characters, default --max-body: 200');
is( stored(8,
		"length(target_text) || ' ' || length(label) || ' ' || notes::text"),
	'1000000 256 {"label cut to 256 characters"}',
	'... target_text kept whole, label cut to 256');

# A label of a mebibyte makes the body pass 1MB: 413 there, 200 with 16MB.
# The 413 comes from the head alone and the connection is closed, so the
# client must read it before sending the body, as curl does: a client
# that writes the whole body first may find the connection reset.
my $mib = body_of(9, target_text => '"' . 'y' x (1024 * 1024) . '"');
$conn = $plain->raw_connect;
$conn->send_bytes(head($plain, 'Content-Length: ' . length $mib));
$conn->send_bytes($mib) unless $conn->readable(2);
$res = $conn->read_response(10);
$conn->close;
is($res && $res->{status}, 413,
	'label of 2^20 characters, default --max-body: 413');
is(stored(9, 'count(*)'), '0', '... not stored');
$res = $gw->post($mib);
is($res->{status}, 200, '... with --max-body 16MB: 200');
is(stored(9, 'length(target_text)'), 1024 * 1024, '... stored whole');
memory_ok($gw, 'after a megabyte label');
memory_ok($plain, 'after a megabyte label');
healthy($plain, 'after a megabyte label');

# A mixed batch: the good clicks are kept, each bad element recorded
my $rejects_before =
  $node->safe_psql('postgres', 'SELECT count(*) FROM autoplay.rejects');
$res = $gw->post('['
	  . join(', ',
		AutoplayGateway::click_json(10),
		'{"session_id": "1%3A2", "timestamp": "yesterday"}',
		'42', 'null', '"text"', '[1, 2]',
		body_of(11, target_text => '{"nested": true}'),
		body_of(12, n => '1e400'),
		'{"session_id": "no good", "timestamp_unix": 1761056254}',
		AutoplayGateway::click_json(10),
		AutoplayGateway::click_json(13))
	  . ']');
is($res->{status}, 200, 'mixed batch: 200');
like($res->{content}, qr/"accepted": 3\b/, '... 3 accepted');
like($res->{content}, qr/"duplicates": 1\b/, '... 1 duplicate');
like($res->{content}, qr/"rejected": 7\b/, '... 7 rejected');
is(join(' ', map { stored($_, 'count(*)') } 10 .. 13), '1 0 1 1',
	'... the good clicks are stored, the bad one is not');
is( $node->safe_psql(
		'postgres',
		"SELECT string_agg(code, ' ' ORDER BY id) FROM autoplay.rejects "
		  . "WHERE id > (SELECT max(id) - 7 FROM autoplay.rejects)"),
	'22007 2203C 2203C 2203C 2203C 2203F 22P02',
	'... every bad element recorded with its code');
is($node->safe_psql('postgres', 'SELECT count(*) FROM autoplay.rejects'),
	$rejects_before + 7, '... and nothing else');

# An array of 100,000 elements, one in a thousand bad: every good one kept
my @elements;
for my $i (1 .. 100_000)
{
	push @elements, $i % 1000 == 0
	  ? $i
	  : sprintf('{"session_id": "77%%3A%d", "timestamp_unix": %d}',
		$i % 500, 1761000000 + $i);
}
my $big = '[' . join(', ', @elements) . ']';
undef @elements;
note('array body: ' . length($big) . ' bytes');
$t0 = time;
$res = $gw->post($big, http => HTTP::Tiny->new(timeout => 60));
is($res->{status}, 200, 'array of 100,000 elements: 200');
note(sprintf('... answered in %.1f s', time - $t0));
like($res->{content}, qr/"accepted": 99900\b/, '... 99,900 accepted');
like($res->{content}, qr/"rejected": 100\b/, '... 100 rejected');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM autoplay.clicks WHERE session_key LIKE '77:%'"),
	'99900',
	'... every good element stored');
undef $big;
memory_ok($gw, 'after 100,000 elements');
healthy($gw, 'after 100,000 elements');

# A hundred uploads that declare 16MB and stall after one byte: memory is
# taken as the bytes arrive, not as declared, and --timeout ends them
my @stalled = map { $gw->raw_connect } 1 .. 100;
$_->send_bytes(head($gw, 'Content-Length: ' . 16 * 1024 * 1024) . '[')
  for @stalled;
usleep(500_000);
memory_ok($gw, '100 stalled uploads declaring 16MB');
is($gw->post(AutoplayGateway::click_json(19))->{status}, 200,
	'... a normal POST meanwhile gets 200');
$t0 = time;
is( scalar(
		grep {
			$_->closed_within(List::Util::max(0.1, $timeout + 4 - (time - $t0)))
		} @stalled),
	100,
	'... all closed by --timeout');
is(scalar(grep { defined $_->read_response(0.1) } @stalled), 0,
	'... none answered');
$_->close for @stalled;
@stalled = ();
healthy($gw, 'after stalled uploads');

# A head that never ends and then stalls: closed after --timeout
$conn = $gw->raw_connect;
$conn->send_bytes("POST /ingest HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Never: ends");
$t0 = time;
ok($conn->closed_within($timeout + 5), 'head stalled: connection closed');
cmp_ok(time - $t0, '>=', $timeout - 1, '... after --timeout');
cmp_ok(time - $t0, '<=', $timeout + 3, '... not much later');
$conn->close;

# A head that never ends, growing by a header line every half second:
# every line restarts --timeout, so it stays open (only the header memory
# bounds it, below); others are served meanwhile
$conn = $gw->raw_connect;
$conn->send_bytes("POST /ingest HTTP/1.1\r\nHost: 127.0.0.1\r\n");
$t0 = time;
my ($lines, $closed, $served) = (0, 0, 0);
while (time - $t0 < $timeout + 2)
{
	last unless $conn->send_bytes("X-Line-$lines: slow\r\n");
	$lines++;
	if ($lines == 4)
	{
		$served = $gw->post(AutoplayGateway::click_json(14))->{status};
	}
	last if ($closed = $conn->closed_within(0.5));
}
is($served, 200, 'head growing slowly: a normal POST meanwhile gets 200');
ok(!$closed,
	"head growing slowly: still open past --timeout ($lines lines)");
$conn->close;
healthy($gw, 'after slow heads');

# A head that never ends, sent as fast as it goes: refused once past the
# server's header memory, 431
$conn = $gw->raw_connect;
$conn->send_bytes("POST /ingest HTTP/1.1\r\nHost: 127.0.0.1\r\n");
my $sent = 0;
while ($sent < 4 * 1024 * 1024 && !$conn->readable(0))
{
	my $chunk =
	  join('', map { "X-Flood-$sent-$_: " . 'f' x 100 . "\r\n" } 1 .. 8);
	last unless $conn->send_bytes($chunk);
	$sent += length $chunk;
}
$res = $conn->read_response(5);
is($res && $res->{status}, 431, "endless head: 431 (after $sent bytes)");
ok($conn->closed_within(5), '... and the connection is closed');
$conn->close;
memory_ok($gw, 'after endless heads');
healthy($gw, 'after endless heads');

# A body a byte a second: every byte restarts --timeout, so the upload
# outlives it and is answered; others are served meanwhile
$body = AutoplayGateway::click_json(15);
$conn = $gw->raw_connect;
$conn->send_bytes(head($gw, 'Content-Length: ' . length $body));
$t0 = time;
my $trickled = 0;
$served = 0;
while (time - $t0 < $timeout + 2 && $trickled < length($body) - 1)
{
	last unless $conn->send_bytes(substr($body, $trickled++, 1));
	$served = $gw->post(AutoplayGateway::click_json(16))->{status}
	  if $trickled == 3;
	sleep 1;
}
is($served, 200, 'a byte a second: a normal POST meanwhile gets 200');
ok(!$conn->closed_within(0.1),
	sprintf('... the trickling connection is still open after %.1f s',
		time - $t0));
$conn->send_bytes(substr($body, $trickled));
$res = $conn->read_response(10);
is($res && $res->{status}, 200,
	"... and its body, $trickled bytes a second apart, is answered 200");
is(stored(15, 'count(*)'), '1', '... and stored');
$conn->close;

# Thousands of idle connections on the "defaults" gateway (--timeout 30),
# from an address outside --allow: a normal request from an allowed one
# must still be served while they are open
note('open files allowed: test ' . fd_limit($$) . ', gateway '
	  . fd_limit($plain->pid));
is($plain->post(AutoplayGateway::click_json(20), local_addr => '127.0.0.2')
	  ->{status}, 403, 'a request from 127.0.0.2: 403');
memory_ok($plain, 'before idle connections');
my @idle;
$t0 = time;
for (1 .. $idle_count)
{
	my $s = IO::Socket::INET->new(
		PeerAddr => '127.0.0.1',
		PeerPort => $plain->port,
		LocalAddr => '127.0.0.2',
		Proto => 'tcp',
		Timeout => 5);
	last unless $s;
	push @idle, $s;
	last if time - $t0 > 20;
}
is(scalar(@idle), $idle_count,
	"$idle_count idle connections opened from 127.0.0.2");
$t0 = time;
$res = $plain->post(AutoplayGateway::click_json(17),
	http => HTTP::Tiny->new(timeout => 5, keep_alive => 0));
is($res->{status}, 200,
	sprintf('with them open, a normal POST gets 200 (took %.1f s)',
		time - $t0));
my $dropped = grep { IO::Select->new($_)->can_read(0) } @idle;
note("idle connections closed by the gateway meanwhile: $dropped");
memory_ok($plain, 'with idle connections open');
close($_) for @idle;
@idle = ();

# Once they are gone the gateway serves as before
$res = $plain->post(AutoplayGateway::click_json(18),
	http => HTTP::Tiny->new(timeout => 35, keep_alive => 0));
is($res->{status}, 200, 'idle connections gone: POST 200');
healthy($plain, 'after idle connections');
memory_ok($plain, 'after idle connections');

# Nothing crashed: no 5xx answered, no backend died, both gateways run
for my $g ($gw, $plain)
{
	my @bad = $g->log_content =~ /^.*"(?:POST|GET) \S+" 5\d\d .*$/mg;
	is(scalar(@bad), 0, "$g->{name}: no 5xx answered")
	  or diag(join("\n", @bad));
	ok(kill(0, $g->pid), "$g->{name}: still running");
}
unlike(slurp_file($node->logfile), qr/terminated by signal|was terminated/,
	'no server process crashed');

is($gw->stop, 0, 'hostile gateway stops with 0');
is($plain->stop, 0, 'defaults gateway stops with 0');
$node->stop;
done_testing();
