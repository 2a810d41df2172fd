#-------------------------------------------------------------------------
#
# 060_bodies.pl
#	  Request bodies: the size limit, chunked uploads, Expect:
#	  100-continue, keep-alive, slow and cut uploads.
#
# The gateway runs with --max-body 2kB and --timeout 3.  A body declared
# too large is refused from its headers, before a byte of it is read; a
# chunked body is refused once it passes the limit.  A body that does not
# arrive whole is never answered 200 and never stored.
#
# t/060_bodies.pl
#
#-------------------------------------------------------------------------

use strict;
use warnings;

use HTTP::Tiny;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep time);

use AutoplayGateway;

my $limit = 2048;

my $node = AutoplayGateway::database_node('bodies');

my $gw = AutoplayGateway->start(
	node => $node,
	env => { AUTOPLAY_TOKEN => $AutoplayGateway::TOKEN },
	args => [ '--max-body', '2kB', '--timeout', '3', '--log-requests' ],
	name => 'bodies');

# padded: click number $n padded with blanks to exactly $len bytes
sub padded
{
	my ($n, $len) = @_;
	my $json = AutoplayGateway::click_json($n);
	return $json . (' ' x ($len - length $json));
}

# head: request head for POST /ingest with the given extra header lines
sub head
{
	my @lines = (
		'POST /ingest HTTP/1.1',
		"Host: 127.0.0.1:" . $gw->port,
		"Authorization: Bearer $AutoplayGateway::TOKEN",
		'Content-Type: application/json', @_);
	return join('', map { "$_\r\n" } @lines) . "\r\n";
}

# chunk: one chunk of chunked transfer coding
sub chunk
{
	my ($data) = @_;
	return sprintf("%x\r\n%s\r\n", length $data, $data);
}

# stored: is click $n in autoplay.clicks (how many times)?
sub stored
{
	my ($n) = @_;
	my ($t) = AutoplayGateway::click_json($n) =~ /"timestamp_unix": (\d+)/;
	return $node->safe_psql('postgres',
		"SELECT count(*) FROM autoplay.clicks WHERE occurred_unix = $t");
}

my ($conn, $res);

# A declared length over the limit: 413 at once, without sending the body
$conn = $gw->raw_connect;
$conn->send_bytes(head('Content-Length: 100000000'));
$res = $conn->read_response(5);
is($res && $res->{status}, 413, 'Content-Length 100000000: 413 before the body');
like($res->{body}, qr/request body exceeds 2048 bytes/, '... says the limit');
ok($conn->closed_within(5), '... and closes the connection');
ok($gw->wait_for_log(qr/"POST \/ingest" 413 0 /), '... having read 0 bytes of body');

# At the limit and one byte over
is($gw->post(padded(1, $limit))->{status}, 200, "$limit bytes: 200");
is(stored(1), 1, '... stored');
is($gw->post(padded(2, $limit + 1))->{status}, 413, ($limit + 1) . ' bytes: 413');
is(stored(2), 0, '... not stored');

# Expect: 100-continue within the limit
my $body = AutoplayGateway::click_json(3);
$conn = $gw->raw_connect;
$conn->send_bytes(head('Expect: 100-continue', 'Content-Length: ' . length $body));
$res = $conn->read_response(5);
is($res && $res->{status}, 100, '100-continue: 100 Continue first');
$conn->send_bytes($body);
$res = $conn->read_response(10);
is($res && $res->{status}, 200, '... then 200 for the body');
is(stored(3), 1, '... stored');
$conn->close;

# Expect: 100-continue over the limit: 413 and no 100
$conn = $gw->raw_connect;
$conn->send_bytes(head('Expect: 100-continue', 'Content-Length: 5000'));
$res = $conn->read_response(5);
is($res && $res->{status}, 413, '100-continue over the limit: 413, no 100');
$conn->close;

# Chunked within the limit, in three chunks with pauses
$body = AutoplayGateway::click_json(4);
$conn = $gw->raw_connect;
$conn->send_bytes(head('Transfer-Encoding: chunked'));
for my $piece (substr($body, 0, 10), substr($body, 10, 50), substr($body, 60))
{
	usleep(100_000);
	$conn->send_bytes(chunk($piece));
}
$conn->send_bytes("0\r\n\r\n");
$res = $conn->read_response(10);
is($res && $res->{status}, 200, 'chunked upload: 200');
is(stored(4), 1, '... stored');
$conn->close;

# Chunked over the limit: 413, nothing stored
my $big = padded(5, 3000);
$conn = $gw->raw_connect;
$conn->send_bytes(head('Transfer-Encoding: chunked'));
$conn->send_bytes(chunk(substr($big, 0, 1000)) . chunk(substr($big, 1000, 1000)));
$conn->send_bytes(chunk(substr($big, 2000)) . "0\r\n\r\n");
$res = $conn->read_response(10);
is($res && $res->{status}, 413, 'chunked upload over the limit: 413');
is(stored(5), 0, '... not stored');
$conn->close;

# Chunked with Expect: 100-continue
$body = AutoplayGateway::click_json(6);
$conn = $gw->raw_connect;
$conn->send_bytes(head('Transfer-Encoding: chunked', 'Expect: 100-continue'));
$res = $conn->read_response(5);
is($res && $res->{status}, 100, 'chunked with 100-continue: 100 first');
$conn->send_bytes(chunk($body) . "0\r\n\r\n");
$res = $conn->read_response(10);
is($res && $res->{status}, 200, '... then 200');
is(stored(6), 1, '... stored');
$conn->close;

# Keep-alive: three kinds of upload on one connection
$conn = $gw->raw_connect;
$body = AutoplayGateway::click_json(7);
$conn->send_bytes(head('Content-Length: ' . length $body) . $body);
$res = $conn->read_response(10);
is($res && $res->{status}, 200, 'keep-alive 1 (plain): 200');
ok(!defined $res->{headers}{connection}, '... the connection stays open');
$body = AutoplayGateway::click_json(8);
$conn->send_bytes(head('Transfer-Encoding: chunked') . chunk($body) . "0\r\n\r\n");
$res = $conn->read_response(10);
is($res && $res->{status}, 200, 'keep-alive 2 (chunked): 200');
$body = AutoplayGateway::click_json(9);
$conn->send_bytes(head('Expect: 100-continue', 'Content-Length: ' . length $body));
$res = $conn->read_response(5);
is($res && $res->{status}, 100, 'keep-alive 3 (100-continue): 100');
$conn->send_bytes($body);
$res = $conn->read_response(10);
is($res && $res->{status}, 200, '... then 200');
is(stored(7) + stored(8) + stored(9), 3, 'all three stored');
$conn->close;

# A slow upload: eight pieces, 150 ms apart
$body = AutoplayGateway::click_json(10);
$conn = $gw->raw_connect;
$conn->send_bytes(head('Content-Length: ' . length $body));
my $step = int(length($body) / 8) + 1;
for (my $off = 0; $off < length $body; $off += $step)
{
	usleep(150_000);
	$conn->send_bytes(substr($body, $off, $step));
}
$res = $conn->read_response(10);
is($res && $res->{status}, 200, 'slow upload: 200');
is(stored(10), 1, '... stored');
$conn->close;

# A cut upload: half the body, then the client goes away
my $aborted_before =
  $gw->metrics->{'autoplay_gateway_requests_aborted_total'};
$body = AutoplayGateway::click_json(11);
$conn = $gw->raw_connect;
$conn->send_bytes(head('Content-Length: ' . length $body)
	  . substr($body, 0, length($body) / 2));
usleep(200_000);
$conn->close;
ok($gw->wait_for_log(qr/"POST \/ingest" closed before an answer/),
	'cut upload: logged as closed before an answer');
is(stored(11), 0, '... not stored');
is($gw->metrics->{'autoplay_gateway_requests_aborted_total'},
	$aborted_before + 1, '... counted as aborted');

# A stalled upload: half the body, then nothing; --timeout closes it
$body = AutoplayGateway::click_json(12);
$conn = $gw->raw_connect;
$conn->send_bytes(head('Content-Length: ' . length $body)
	  . substr($body, 0, length($body) / 2));
my $t0 = time;
ok($conn->closed_within(10), 'stalled upload: connection closed');
cmp_ok(time - $t0, '>=', 2, '... after the timeout');
ok(!defined $conn->read_response(1), '... without an answer');
is(stored(12), 0, '... not stored');

# Everything stored is what was answered 200, once each
is($node->safe_psql('postgres', 'SELECT count(*) FROM autoplay.clicks'),
	'8', 'eight clicks stored in all');

is($gw->stop, 0, 'gateway stops with 0');
$node->stop;
done_testing();
