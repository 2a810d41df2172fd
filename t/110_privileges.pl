#-------------------------------------------------------------------------
#
# 110_privileges.pl
#	  Least privilege, over real logins: a writer only ingests, a reader
#	  only reads, and neither sees rejected bodies unless granted; the
#	  gateway logs in as a writer, sends only its two prepared,
#	  parameterized statements, and no token reaches a log or an answer.
#
# sql/privileges.sql checks the same grants with SET ROLE; here each role
# logs in with psql, as an application would.  The server runs with
# log_statement = all and the user in each log line, so every statement
# the gateway's role sent can be read back: each must be an "execute" of
# gw_ingest or gw_health with the body as parameter $1, never a statement
# with the body written into it.
#
# t/110_privileges.pl
#
#-------------------------------------------------------------------------

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use AutoplayGateway;

my $node = PostgreSQL::Test::Cluster->new('privileges');
$node->init;
$node->append_conf('postgresql.conf',
	"log_statement = all\nlog_line_prefix = '%m [%p] %q%u@%d %a '\n");
$node->start;
AutoplayGateway::setup_database($node);
$node->safe_psql('postgres',
	    'CREATE ROLE app_writer LOGIN IN ROLE autoplay_writer; '
	  . 'CREATE ROLE app_reader LOGIN IN ROLE autoplay_reader;');

# as: run $sql as $role; returns (exit status, stdout, stderr)
sub as
{
	my ($role, $sql) = @_;
	my ($ret, $out, $err) = $node->psql('postgres', $sql,
		connstr => $node->connstr('postgres') . " user=$role");
	return ($ret, $out, $err);
}

# allowed: $role may run $sql, which prints $expect (when defined)
sub allowed
{
	my ($role, $sql, $expect) = @_;
	my ($ret, $out, $err) = as($role, $sql);

	is($ret, 0, "$role may: $sql") or diag($err);
	is($out, $expect, '... and gets ' . $expect) if defined $expect;
	return;
}

# denied: $role may not run $sql: permission denied (SQLSTATE 42501)
sub denied
{
	my ($role, $sql) = @_;
	my ($ret, $out, $err) = as($role, $sql);

	isnt($ret, 0, "$role may not: $sql");
	like($err, qr/permission denied/, '... permission denied');
	return;
}

my $click = '{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:34.073Z"}';
my $not_json = 'not json: raw bytes 7f3c';

# The writer ingests, by both functions, and can read and change nothing
allowed('app_writer', "SELECT autoplay_ingest('$click')->>'accepted'", '1');
allowed('app_writer',
	"SELECT autoplay_ingest_raw(convert_to('$not_json', 'UTF8'))->>'rejected'",
	'1');
denied('app_writer', 'SELECT count(*) FROM autoplay.clicks');
denied('app_writer', 'SELECT count(*) FROM autoplay.rejects');
denied('app_writer', 'SELECT id, reason FROM autoplay.rejects');
denied('app_writer', 'SELECT raw_body FROM autoplay.rejects');
denied('app_writer', 'SELECT count(*) FROM autoplay.sessions');
denied('app_writer',
	"INSERT INTO autoplay.clicks (session_key, device_id, session_id, "
	  . "occurred_at, occurred_unix, fingerprint, received_at) "
	  . "VALUES ('a:b', 'a', 'b', now(), 0, '\\x00', now())");
denied('app_writer', "UPDATE autoplay.rejects SET reason = 'x'");
denied('app_writer', 'DELETE FROM autoplay.rejects');
denied('app_writer', "SELECT autoplay_drop_before(now())");

# The reader reads clicks and the reasons of rejects
allowed('app_reader', 'SELECT count(*) FROM autoplay.clicks', '1');
allowed('app_reader',
	'SELECT id, received_at IS NOT NULL, status, code, reason, detail '
	  . 'FROM autoplay.rejects',
	"1|t|rejected|22032|body is not valid JSON|Invalid JSON syntax at byte 1.");
allowed('app_reader', 'SELECT count(*) FROM autoplay.sessions', '1');

# ... but not the rejected bodies, and it changes nothing, ingests nothing
denied('app_reader', 'SELECT payload FROM autoplay.rejects');
denied('app_reader', 'SELECT raw_body FROM autoplay.rejects');
denied('app_reader', 'SELECT * FROM autoplay.rejects');
denied('app_reader',
	"INSERT INTO autoplay.clicks (session_key, device_id, session_id, "
	  . "occurred_at, occurred_unix, fingerprint, received_at) "
	  . "VALUES ('a:b', 'a', 'b', now(), 0, '\\x00', now())");
denied('app_reader', "UPDATE autoplay.clicks SET label = 'x'");
denied('app_reader', 'DELETE FROM autoplay.clicks');
denied('app_reader', 'TRUNCATE autoplay.clicks');
denied('app_reader', "INSERT INTO autoplay.rejects (status, reason, raw_body) "
	  . "VALUES ('rejected', 'x', '\\x00')");
denied('app_reader', "UPDATE autoplay.rejects SET reason = 'x'");
denied('app_reader', 'DELETE FROM autoplay.rejects');
denied('app_reader', "SELECT autoplay_ingest('$click')");
denied('app_reader', "SELECT autoplay_ingest_raw('\\x7b7d')");

# Granted the column, the reader reads the exact bytes, and nothing more
$node->safe_psql('postgres',
	'GRANT SELECT (raw_body) ON autoplay.rejects TO app_reader');
allowed('app_reader',
	"SELECT convert_from(raw_body, 'UTF8') FROM autoplay.rejects", $not_json);
denied('app_reader', 'SELECT payload FROM autoplay.rejects');
denied('app_writer', 'SELECT raw_body FROM autoplay.rejects');
$node->safe_psql('postgres',
	'REVOKE SELECT (raw_body) ON autoplay.rejects FROM app_reader');
denied('app_reader', 'SELECT raw_body FROM autoplay.rejects');
is($node->safe_psql('postgres', 'SELECT count(*) FROM autoplay.clicks'),
	'1', 'all the refused writes changed nothing');

# The gateway, with a token from a file and one from the environment; its
# sessions are named, so that they can be told apart from psql's
my $file_token = 'file-tok-5d1e9a0c7b34';
my $env_token = $AutoplayGateway::TOKEN;
my @bad_tokens = ('tok-BAD-91c2d7e5aa10', substr($env_token, 0, -2),
	$env_token . 'X', 'Xfile-tok-5d1e9a0c7b34');
my $gw = AutoplayGateway->start(
	node => $node,
	dsn => AutoplayGateway::dsn($node) . ' application_name=autoplay-gateway',
	tokens => [$file_token],
	env => { AUTOPLAY_TOKEN => $env_token },
	args => ['--log-requests'],
	name => 'privileges');

# It logs in as gw, a member of autoplay_writer and of nothing else
is( $node->safe_psql(
		'postgres',
		"SELECT DISTINCT usename FROM pg_stat_activity "
		  . "WHERE application_name = 'autoplay-gateway'"),
	'gw',
	'the gateway connects as gw');
is( $node->safe_psql(
		'postgres',
		"SELECT rolsuper || ' ' || (SELECT string_agg(g.rolname, ',') "
		  . 'FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid '
		  . "WHERE m.member = r.oid) FROM pg_roles r WHERE rolname = 'gw'"),
	'false autoplay_writer',
	'gw is no superuser and a member of autoplay_writer only');
denied('gw', 'SELECT count(*) FROM autoplay.clicks');

# Requests of every kind, with good and bad tokens; every answer is kept
my $marker = "marker-7Hq2'); DROP TABLE autoplay.clicks; --";
my @answers;
my $res;

# send: make a request, keep its answer and check its status
sub send_ok
{
	my ($status, $what, $method, $path, %opt) = @_;
	my $r = $gw->request($method, $path, %opt);

	push @answers, $r;
	is($r->{status}, $status, "$what: $status");
	return $r;
}

send_ok(200, 'a click, file token', 'POST', '/ingest',
	body => AutoplayGateway::click_json(2, target_text_extra => $marker),
	token => $file_token);
send_ok(200, 'a click, environment token', 'POST', '/rpc/autoplay_ingest',
	body => AutoplayGateway::click_json(3));
send_ok(200, 'scheme in lower case', 'POST', '/ingest',
	body => AutoplayGateway::click_json(4), token => undef,
	headers => { Authorization => "bearer $file_token" });
send_ok(400, 'not JSON, with a token', 'POST', '/ingest',
	body => "not json $marker");
send_ok(422, 'an invalid click, with a token', 'POST', '/ingest',
	body => '{"session_id": "1%3A2", "timestamp": "never"}');
send_ok(415, 'wrong type, with a token', 'POST', '/ingest',
	body => $click, content_type => 'text/plain');
send_ok(404, 'unknown path, with a token', 'POST', '/ingest/x', body => $click);
send_ok(405, 'wrong method, with a token', 'GET', '/ingest');
send_ok(200, '/healthz with a token', 'GET', '/healthz');
send_ok(200, '/metrics with a token', 'GET', '/metrics');
for my $bad (@bad_tokens)
{
	send_ok(401, 'bad token', 'POST', '/ingest', body => $click, token => $bad);
}
send_ok(401, 'good token, Basic scheme', 'POST', '/ingest', body => $click,
	token => undef, headers => { Authorization => "Basic $env_token" });
send_ok(401, 'good token, no scheme', 'POST', '/ingest', body => $click,
	token => undef, headers => { Authorization => $file_token });
send_ok(401, 'token as a query parameter', 'POST',
	"/ingest?access_token=$file_token", body => $click, token => undef);
is( $node->safe_psql(
		'postgres',
		"SELECT extra->>'target_text_extra' FROM autoplay.clicks "
		  . "WHERE extra ? 'target_text_extra'"),
	$marker,
	'a body with SQL in it is stored as data');
is($gw->stop, 0, 'gateway stops with 0');

# No token anywhere: answers, the gateway's log, the server's log
my $server_log = slurp_file($node->logfile);
my $answers = join("\n",
	map { join("\n", $_->{content}, map { "$_" } values %{ $_->{headers} }) }
	  @answers);
for my $token ($file_token, $env_token, @bad_tokens)
{
	unlike($answers, qr/\Q$token\E/, "token $token is in no answer");
	unlike($gw->log_content, qr/\Q$token\E/, "... nor in the gateway's log");
	unlike($server_log, qr/\Q$token\E/, "... nor in the server's log");
}

# Every statement of the gateway's role: an execute of one of the two
# prepared statements, its body a parameter
my @entries = split /\n(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \S+ \[)/,
  $server_log;
my $gateway = qr/ gw\@postgres autoplay-gateway /;
my @statements =
  grep { /${gateway}LOG:  (?:statement|execute)/ } @entries;
my @ingests = grep {
	/LOG:  execute gw_ingest: SELECT .*FROM autoplay_ingest_raw\(\$1\) AS r\b/s
} @statements;
my @healths = grep { /LOG:  execute gw_health: SELECT 1$/ } @statements;

# Group commit wraps concurrent requests in fixed transaction statements
my @transaction = grep {
	/LOG:  (?:execute <unnamed>: (?:BEGIN|COMMIT)|statement: ROLLBACK)$/
} @statements;
cmp_ok(scalar(@ingests), '>=', 5, 'the gateway executed gw_ingest ('
	  . scalar(@ingests) . ' times)');
cmp_ok(scalar(@healths), '>=', 1, 'and gw_health');
is(scalar(@statements), @ingests + @healths + @transaction,
	'and sent no other statement') or diag(join("\n", @statements));
my @params =
  grep { /${gateway}DETAIL:  parameters: \$1 = '\\x[0-9a-f]+'$/ } @entries;
is(scalar(@params), scalar(@ingests), 'each gw_ingest with its body as $1');
unlike(join("\n", @statements), qr/marker-7Hq2|DROP TABLE|not json/,
	'no body is ever written into a statement');
my $hex = unpack('H*', "not json $marker");
is(scalar(grep { /\Q$hex\E/ } @params), 1,
	'the body is there only as a parameter, in hex');

$node->stop;
done_testing();
