#-------------------------------------------------------------------------
#
# 070_shutdown.pl
#	  SIGTERM finishes the requests in flight, then exits 0; SIGHUP does
#	  not stop anything; --grace bounds the wait.
#
# A request is "in flight" from its first header to its answer, so an
# upload half sent when SIGTERM arrives is still read whole, stored and
# answered 200 (with Connection: close), and only then does the gateway
# exit.  With --grace 1, an upload that stalls is given up after a second
# and never answered 200.  The same holds for a statement waiting in the
# database (here for a lock): within the grace period it commits and is
# answered 200; past it, it is cancelled, rolled back and answered 503.
#
# t/070_shutdown.pl
#
#-------------------------------------------------------------------------

use strict;
use warnings;

use POSIX ();
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep time);

use AutoplayGateway;

my $node = AutoplayGateway::database_node('shutdown');
my %env = (AUTOPLAY_TOKEN => $AutoplayGateway::TOKEN);

# head: the head of POST /ingest with a body of $len bytes
sub head
{
	my ($gw, $len) = @_;
	return "POST /ingest HTTP/1.1\r\nHost: 127.0.0.1:"
	  . $gw->port
	  . "\r\nAuthorization: Bearer $AutoplayGateway::TOKEN\r\n"
	  . "Content-Type: application/json\r\nContent-Length: $len\r\n\r\n";
}

# SIGHUP alone changes nothing
my $gw = AutoplayGateway->start(node => $node, env => \%env, name => 'term');
$gw->signal('HUP');
ok($gw->wait_for_log(qr/reloaded tokens: 1 accepted/), 'SIGHUP reloads');
is($gw->post(AutoplayGateway::click_json(1))->{status}, 200,
	'and the gateway goes on serving');

# An upload in flight when SIGTERM comes
my $body = AutoplayGateway::click_json(2);
my $half = int(length($body) / 2);
my $conn = $gw->raw_connect;
$conn->send_bytes(head($gw, length $body) . substr($body, 0, $half));
usleep(200_000);
$gw->signal('TERM');
ok($gw->wait_for_log(qr/received SIGTERM, finishing 1 requests in flight/),
	'SIGTERM with one request in flight is logged');
usleep(300_000);
ok(kill(0, $gw->pid), 'the gateway waits for it');
$conn->send_bytes(substr($body, $half));
my $res = $conn->read_response(10);
is($res && $res->{status}, 200, 'the request in flight is answered 200');
is($res && $res->{headers}{connection}, 'close', '... with Connection: close');
is($gw->wait_exit(15), 0, 'then the gateway exits 0');
is( $node->safe_psql(
		'postgres',
		'SELECT count(*) FROM autoplay.clicks'),
	'2',
	'the click is stored');
like($gw->log_content, qr/autoplay-gateway: stopped\n\z/, 'stop is logged last');

# An idle keep-alive connection does not hold the gateway up
$gw = AutoplayGateway->start(node => $node, env => \%env, name => 'idle');
$conn = $gw->raw_connect;
$body = AutoplayGateway::click_json(3);
$conn->send_bytes(head($gw, length $body) . $body);
$res = $conn->read_response(10);
is($res && $res->{status}, 200, 'keep-alive request: 200');
my $t0 = time;
is($gw->stop, 0, 'SIGTERM with an idle connection: exits 0');
cmp_ok(time - $t0, '<', 5, '... at once');
ok($conn->closed_within(5), '... closing the idle connection');

# --grace: a stalled upload is given up, never answered 200
$gw = AutoplayGateway->start(
	node => $node,
	env => \%env,
	args => [ '--grace', '1' ],
	name => 'grace');
$body = AutoplayGateway::click_json(4);
$conn = $gw->raw_connect;
$conn->send_bytes(head($gw, length $body) . substr($body, 0, 10));
usleep(200_000);
$t0 = time;
is($gw->stop, 0, 'stalled upload: exits 0 after the grace period');
cmp_ok(time - $t0, '<', 10, '... promptly');
like($gw->log_content, qr/giving up on 1 requests in flight/,
	'... saying it gave up');
ok(!defined $conn->read_response(2), '... the stalled upload got no answer');
is($node->safe_psql('postgres', 'SELECT count(*) FROM autoplay.clicks'),
	'3', '... and nothing of it was stored');

# A second SIGTERM cuts the wait short
$gw = AutoplayGateway->start(node => $node, env => \%env, name => 'twice');
$conn = $gw->raw_connect;
$conn->send_bytes(head($gw, 100) . '{');
usleep(200_000);
$gw->signal('TERM');
ok($gw->wait_for_log(qr/received SIGTERM/), 'first SIGTERM');
$t0 = time;
is($gw->stop, 0, 'second SIGTERM: exits 0');
cmp_ok(time - $t0, '<', 10, '... without waiting out the 30 s grace');

# post_in_child: POST click $n from a child process; returns the pid and
# the file where the child writes "status retry-after"
sub post_in_child
{
	my ($gw, $n) = @_;
	my $file = PostgreSQL::Test::Utils::tempdir() . '/answer';
	my $pid = fork();
	die "could not fork: $!" unless defined $pid;
	if ($pid == 0)
	{
		my $res = $gw->post(AutoplayGateway::click_json($n));
		open(my $out, '>', $file) or POSIX::_exit(2);
		print $out "$res->{status} " . ($res->{headers}{'retry-after'} // '-');
		close($out);
		POSIX::_exit(0);
	}
	return ($pid, $file);
}

# A statement in flight: it waits for a lock, then commits and is answered
my $locker = $node->background_psql('postgres');
$locker->query_safe('BEGIN; LOCK TABLE autoplay.clicks IN ACCESS EXCLUSIVE MODE');
$gw = AutoplayGateway->start(node => $node, env => \%env, name => 'waiting');
my ($pid, $file) = post_in_child($gw, 5);
ok($node->poll_query_until('postgres',
	"SELECT count(*) > 0 FROM pg_stat_activity WHERE usename = 'gw' AND wait_event_type = 'Lock'"),
	'a statement waits for the lock');
$gw->signal('TERM');
ok($gw->wait_for_log(qr/received SIGTERM, finishing 1 requests in flight/),
	'SIGTERM with a statement in flight');
usleep(300_000);
$locker->query_safe('COMMIT');
waitpid($pid, 0);
is(slurp_file($file), '200 -', 'the waiting statement commits and is answered 200');
is($gw->wait_exit(15), 0, 'then the gateway exits 0');
is($node->safe_psql('postgres', 'SELECT count(*) FROM autoplay.clicks'),
	'4', '... and the click is stored');

# The same past --grace: the statement is cancelled, the answer is 503
$locker->query_safe('BEGIN; LOCK TABLE autoplay.clicks IN ACCESS EXCLUSIVE MODE');
$gw = AutoplayGateway->start(
	node => $node,
	env => \%env,
	args => [ '--grace', '1' ],
	name => 'cancel');
($pid, $file) = post_in_child($gw, 6);
ok($node->poll_query_until('postgres',
	"SELECT count(*) > 0 FROM pg_stat_activity WHERE usename = 'gw' AND wait_event_type = 'Lock'"),
	'a statement waits for the lock');
$gw->signal('TERM');
is($gw->wait_exit(15), 0, 'past the grace period the gateway exits 0');
waitpid($pid, 0);
is(slurp_file($file), '503 5', '... the cancelled statement was answered 503 with Retry-After');
$locker->query_safe('COMMIT');
$locker->quit;
is($node->safe_psql('postgres', 'SELECT count(*) FROM autoplay.clicks'),
	'4', '... and its click was not stored');

$node->stop;
done_testing();
