#-------------------------------------------------------------------------
#
# 010_status.pl
#	  The status contract: every answer autoplay-gateway gives, and what
#	  each stored.
#
# FullStory retries 5xx and time-outs for hours and never retries 4xx, so
# each status below is a promise: 200 only for stored (or already stored)
# clicks and connection tests; 400 and 422 only for bodies that will never
# be clicks, after they were recorded in autoplay.rejects; 500 only for a
# bug.  The 503 cases are in 001 (no database) and 050 (restart); 403 in
# 040; 413 in 060.
#
# t/010_status.pl
#
#-------------------------------------------------------------------------

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use AutoplayGateway;

my $node = AutoplayGateway::database_node('status');

my $gw = AutoplayGateway->start(
	node => $node,
	env => { AUTOPLAY_TOKEN => $AutoplayGateway::TOKEN },
	args => ['--log-requests'],
	name => 'status');

# counts: the number of clicks, rejects and tests stored
sub counts
{
	return $node->safe_psql('postgres',
		    "SELECT (SELECT count(*) FROM autoplay.clicks) || ' ' || "
		  . "(SELECT count(*) FROM autoplay.rejects WHERE status = 'rejected') || ' ' || "
		  . "(SELECT count(*) FROM autoplay.rejects WHERE status = 'test')");
}

my $click = AutoplayGateway::click_json(1);
my $res;

# 200: accepted, then the same click again is a duplicate
$res = $gw->post($click);
is($res->{status}, 200, 'new click: 200');
like($res->{content}, qr/"status": "accepted"/, '... accepted');
is($res->{headers}{'content-type'}, 'application/json', '... as JSON');
is(counts(), '1 0 0', '... and stored');
$res = $gw->post($click);
is($res->{status}, 200, 'retried click: 200');
like($res->{content}, qr/\{"status": "duplicate"\}/, '... a duplicate');
is(counts(), '1 0 0', '... stored once');

# 200: PostgREST's path, and every JSON content type, or none
$res = $gw->post(AutoplayGateway::click_json(2), path => '/rpc/autoplay_ingest');
is($res->{status}, 200, 'POST /rpc/autoplay_ingest: 200');
$res = $gw->post(AutoplayGateway::click_json(3),
	content_type => 'application/json; charset=utf-8');
is($res->{status}, 200, 'application/json with a parameter: 200');
$res = $gw->post(AutoplayGateway::click_json(4),
	content_type => 'Application/JSON');
is($res->{status}, 200, 'application/json in capitals: 200');
$res = $gw->raw_post(AutoplayGateway::click_json(5));
is($res->{status}, 200, 'no content type: 200');
$res = $gw->raw_post(AutoplayGateway::click_json(5),
	headers => ['Content-Type: ']);
is($res->{status}, 200, 'empty content type: 200 (a duplicate)');
is(counts(), '5 0 0', 'five clicks stored');

# 200: a connection test ("Send Test" with empty values)
$res = $gw->post('{"target_text": "", "session_id": "%3A"}');
is($res->{status}, 200, 'connection test: 200');
like($res->{content}, qr/"status": "test"/, '... reported as a test');
is(counts(), '5 0 1', '... recorded as a test');

# 200: an array with one good click and one bad element
$res = $gw->post('[' . AutoplayGateway::click_json(6) . ', 17]');
is($res->{status}, 200, 'array with a good and a bad element: 200');
like($res->{content}, qr/"accepted": 1.*"rejected": 1|"rejected": 1.*"accepted": 1/,
	'... one accepted, one rejected');
is(counts(), '6 1 1', '... both recorded');

# 400: not JSON, stored with its exact bytes first
$res = $gw->post("not json \x01\xff");
is($res->{status}, 400, 'not JSON: 400');
like($res->{content}, qr/"code": "22032"/, '... code 22032');
is( $node->safe_psql(
		'postgres',
		"SELECT encode(raw_body, 'hex') FROM autoplay.rejects WHERE code = '22032'"),
	unpack('H*', "not json \x01\xff"),
	'... its exact bytes are in autoplay.rejects');
$res = $gw->post('');
is($res->{status}, 400, 'empty body: 400');

# 400: JSON but not a click
for my $body ('42', 'null', '[]', '"text"', '[1, 2]')
{
	$res = $gw->post($body);
	is($res->{status}, 400, "body $body: 400");
	like($res->{content}, qr/"code": "2203C"/, '... code 2203C');
}
is(counts(), '6 9 1', 'every 400 was recorded');

# 422: a click that is invalid
$res = $gw->post('{"session_id": "1%3A2", "timestamp": "yesterday"}');
is($res->{status}, 422, 'invalid timestamp: 422');
like($res->{content}, qr/"status": "rejected"/, '... rejected');
$res = $gw->post('[{"session_id": "1%3A2", "timestamp": "nope"}, 7]');
is($res->{status}, 422, 'invalid click and a scalar: 422');
is(counts(), '6 12 1', 'every 422 was recorded');

# 401: no token, a wrong one, another scheme; nothing stored
my $before = counts();
$res = $gw->post($click, token => undef);
is($res->{status}, 401, 'no token: 401');
is($res->{headers}{'www-authenticate'}, 'Bearer realm="autoplay"',
	'... with WWW-Authenticate');
$res = $gw->post($click, token => 'tok-A-3f9c2e71d4b9');
is($res->{status}, 401, 'wrong token: 401');
$res = $gw->post($click, token => substr($AutoplayGateway::TOKEN, 0, -1));
is($res->{status}, 401, 'a prefix of the token: 401');
$res = $gw->post($click, token => $AutoplayGateway::TOKEN . 'x');
is($res->{status}, 401, 'the token and more: 401');
$res = $gw->post($click, token => undef,
	headers => { Authorization => "Basic $AutoplayGateway::TOKEN" });
is($res->{status}, 401, 'Basic scheme: 401');
$res = $gw->post($click, token => undef,
	headers => { Authorization => "bearer   $AutoplayGateway::TOKEN  " });
is($res->{status}, 200, 'scheme in lower case, extra blanks: 200');
is(counts(), $before, 'nothing stored by 401s');

# 404 and 405
$res = $gw->request('GET', '/');
is($res->{status}, 404, 'GET /: 404');
$res = $gw->post($click, path => '/ingest/');
is($res->{status}, 404, 'POST /ingest/: 404');
$res = $gw->post($click, path => '/rpc/autoplay_ingest_raw');
is($res->{status}, 404, 'POST /rpc/autoplay_ingest_raw: 404');
$res = $gw->request('GET', '/ingest');
is($res->{status}, 405, 'GET /ingest: 405');
is($res->{headers}{allow}, 'POST', '... Allow: POST');
$res = $gw->request('PUT', '/rpc/autoplay_ingest', body => $click);
is($res->{status}, 405, 'PUT /rpc/autoplay_ingest: 405');
$res = $gw->post('{}', path => '/healthz');
is($res->{status}, 405, 'POST /healthz: 405');
is($res->{headers}{allow}, 'GET, HEAD', '... Allow: GET, HEAD');

# 415: a type that is not JSON; nothing stored
for my $type ('text/plain', 'application/x-www-form-urlencoded',
	'application/jsonx', 'application/json-seq')
{
	$res = $gw->post($click, content_type => $type);
	is($res->{status}, 415, "Content-Type $type: 415");
}
is(counts(), $before, 'nothing stored by 404, 405, 415');

# /healthz, also as HEAD
$res = $gw->request('GET', '/healthz', token => undef);
is($res->{status}, 200, 'GET /healthz: 200');
is($res->{content}, qq({"status": "ok"}\n), '... says ok');
$res = $gw->request('HEAD', '/healthz', token => undef);
is($res->{status}, 200, 'HEAD /healthz: 200');

# 500: a bug, here a missing privilege; logged, not stored
$node->safe_psql('postgres',
	'REVOKE EXECUTE ON FUNCTION autoplay_ingest_raw(bytea) FROM autoplay_writer');
$res = $gw->post(AutoplayGateway::click_json(50));
is($res->{status}, 500, 'statement error: 500');
is($res->{content}, qq({"error": "internal error"}\n), '... short JSON error');
like($gw->log_content,
	qr/could not run ingest statement: permission denied for function autoplay_ingest_raw \(SQLSTATE 42501\)/,
	'... logged with its SQLSTATE');
$node->safe_psql('postgres',
	'GRANT EXECUTE ON FUNCTION autoplay_ingest_raw(bytea) TO autoplay_writer');
$res = $gw->post(AutoplayGateway::click_json(50));
is($res->{status}, 200, 'privilege back: 200');

# Under autoplay.strict the function raises instead of recording: still
# 400 and 422, never 500, and nothing is stored.  New sessions pick the
# setting up: end the gateway's, it reconnects by itself.
$node->safe_psql('postgres', 'ALTER ROLE gw SET autoplay.strict = on');
$node->safe_psql('postgres',
	"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'gw'");
$before = counts();
$res = $gw->post('{"session_id": "1%3A2", "timestamp": "yesterday"}');
is($res->{status}, 422, 'strict: invalid click: 422');
like($res->{content}, qr/"code": "22007"/, '... with its code');
$res = $gw->post('nope');
is($res->{status}, 400, 'strict: not JSON: 400');
$res = $gw->post('[]');
is($res->{status}, 400, 'strict: empty array: 400');
$res = $gw->post(AutoplayGateway::click_json(51));
is($res->{status}, 200, 'strict: a good click: 200');
my ($c, $r, $t) = split / /, $before;
is(counts(), ($c + 1) . " $r $t", 'strict: only the good click stored');
$node->safe_psql('postgres', 'ALTER ROLE gw RESET autoplay.strict');

# The token never reaches the log
unlike($gw->log_content, qr/\Q$AutoplayGateway::TOKEN\E|tok-A/,
	'no token in the log');
like($gw->log_content, qr/^autoplay-gateway: 127\.0\.0\.1 "POST \/ingest" 401 /m,
	'request lines are logged');

is($gw->stop, 0, 'gateway stops with 0');

# Connected as a superuser, the gateway works but warns
my $super = AutoplayGateway->start(
	node => $node,
	dsn => sprintf('host=%s port=%d dbname=postgres', $node->host, $node->port),
	env => { AUTOPLAY_TOKEN => $AutoplayGateway::TOKEN },
	name => 'superuser');
ok($super->wait_for_log(qr/warning: user "\w+" is a superuser; a role that may only call the ingest functions is safer/),
	'a superuser role is warned about');
is($super->post(AutoplayGateway::click_json(60))->{status}, 200,
	'... and works');
is($super->stop, 0, '... and stops with 0');

$node->stop;
done_testing();
