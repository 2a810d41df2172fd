#-------------------------------------------------------------------------
#
# 050_database_restart.pl
#	  The database goes away mid-stream and comes back: 503 with
#	  Retry-After while it is away, recovery without a restart of the
#	  gateway, and every click that got a 200 stored exactly once.
#
# A child process plays FullStory: it sends 150 distinct clicks, one
# after the other, and retries each until it gets 200 (sooner than a
# real Retry-After, to keep the test short).  Meanwhile the server is
# stopped twice: once cleanly ("fast": sessions are terminated) and once
# as in a crash ("immediate").  Every click the child saw acknowledged
# must then be in autoplay.clicks once, and no other click may be there.
#
# t/050_database_restart.pl
#
#-------------------------------------------------------------------------

use strict;
use warnings;

use HTTP::Tiny;
use POSIX ();
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep time);

use AutoplayGateway;

my $total = 150;

my $node = AutoplayGateway::database_node('restart');

my $gw = AutoplayGateway->start(
	node => $node,
	env => { AUTOPLAY_TOKEN => $AutoplayGateway::TOKEN },
	args => [ '--pool', '3', '--threads', '2' ],
	name => 'restart');

# The child: one line per acknowledged click, "n attempts statuses..."
my $dir = PostgreSQL::Test::Utils::tempdir();
my $acks = "$dir/acks";
my $pid = fork();
die "could not fork: $!" unless defined $pid;
if ($pid == 0)
{
	my $http = HTTP::Tiny->new(timeout => 30, keep_alive => 1);
	open(my $out, '>', $acks) or POSIX::_exit(2);
	$out->autoflush(1);
	for my $n (1 .. $total)
	{
		my @seen;
		for my $attempt (1 .. 400)
		{
			my $res = $gw->post(AutoplayGateway::click_json($n), http => $http);
			push @seen, $res->{status}
			  . ($res->{status} == 503 && defined $res->{headers}{'retry-after'}
				? 'R' : '');
			last if $res->{status} == 200;
			usleep(50_000);
		}
		print $out "$n " . scalar(@seen) . " @seen\n";
		usleep(10_000);
	}
	close($out);
	POSIX::_exit(0);
}

# acked: how many clicks the child has had acknowledged so far
sub acked
{
	my $n = () = (-e $acks ? slurp_file($acks) : '') =~ /^\d+ \d+ .*200$/mg;
	return $n;
}

# wait_acked: wait until at least $n clicks were acknowledged
sub wait_acked
{
	my ($n) = @_;
	my $deadline = time + 60;
	usleep(20_000) while acked() < $n && time < $deadline;
	cmp_ok(acked(), '>=', $n, "$n clicks acknowledged");
	return;
}

# outage: stop the server in $mode, check the gateway answers 503 while
# it is down, and start it again
sub outage
{
	my ($mode) = @_;
	$node->stop($mode);

	my $res = $gw->request('GET', '/healthz', token => undef);
	is($res->{status}, 503, "$mode stop: /healthz 503");
	$res = $gw->post(AutoplayGateway::click_json(9999));
	is($res->{status}, 503, "$mode stop: ingest 503");
	is($res->{headers}{'retry-after'}, '5', "$mode stop: Retry-After: 5");
	usleep(500_000);			# let the stream run into the outage

	$node->start;
	my $deadline = time + 30;
	while (time < $deadline)
	{
		$res = $gw->request('GET', '/healthz', token => undef);
		last if $res->{status} == 200;
		usleep(50_000);
	}
	is($res->{status}, 200, "$mode stop: /healthz 200 again, by itself");
	return;
}

wait_acked(30);
outage('fast');
wait_acked(80);
outage('immediate');

# The stream finishes
waitpid($pid, 0);
is($?, 0, 'client finished');
my @lines = split /\n/, slurp_file($acks);
is(scalar(@lines), $total, "all $total clicks were sent");
is(scalar(grep { /200$/ } @lines), $total, 'every click got its 200 in the end');
my @retried = grep { / 503R / } @lines;
cmp_ok(scalar(@retried), '>=', 1,
	'some clicks got 503 with Retry-After first (' . scalar(@retried) . ')');
is(scalar(grep { / (?:5\d\d|599) / && !/ 503R / } @lines), 0,
	'no other 5xx, and no 503 without Retry-After');

# Exactly the acknowledged clicks are stored, each once: compare session
# keys and times with what the child sent
my @expected = sort map {
	my $json = AutoplayGateway::click_json($_);
	my ($d, $i) = $json =~ /"session_id": "(\d+)%3A(\d+)"/;
	my ($t) = $json =~ /"timestamp_unix": (\d+)/;
	"$d:$i $t";
} 1 .. $total;
my @stored = split /\n/,
  $node->safe_psql('postgres',
	"SELECT session_key || ' ' || occurred_unix FROM autoplay.clicks ORDER BY 1"
  );
is_deeply(\@stored, \@expected, 'stored clicks are exactly the acknowledged ones');
is( $node->safe_psql(
		'postgres',
		'SELECT count(*) FROM (SELECT FROM autoplay.clicks '
		  . 'GROUP BY session_key, occurred_at HAVING count(*) > 1) AS d'),
	'0',
	'none is stored twice');

# Loss and recovery are logged, twice each
my $log = $gw->log_content;
my $lost = () = $log =~ /^autoplay-gateway: lost connection to database: /mg;
my $back = () = $log =~ /^autoplay-gateway: connection to database restored$/mg;
is($lost, 2, 'two losses logged');
is($back, 2, 'two recoveries logged');

# Metrics saw it too
my $m = $gw->metrics;
is($m->{'autoplay_gateway_database_up'}, 1, 'database_up is 1 again');
cmp_ok($m->{'autoplay_gateway_database_errors_total{kind="connection"}'},
	'>=', 2, 'connection errors counted');
cmp_ok($m->{'autoplay_gateway_requests_total{route="/ingest",status="503"}'},
	'>=', 3, '503s counted');
is($m->{'autoplay_gateway_clicks_total{outcome="accepted"}'}, $total,
	'each click accepted once');

is($gw->stop, 0, 'gateway stops with 0');
$node->stop;
done_testing();
