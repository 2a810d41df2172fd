#-------------------------------------------------------------------------
#
# 020_retry_storm.pl
#	  A storm of retried deliveries: every click is stored exactly once.
#
# FullStory delivers at least once and retries for hours, so the same
# click arrives many times, sometimes at the same moment on different
# connections.  Here 8 client processes each deliver the same 40 clicks
# (in the same order, so that copies collide), over keep-alive
# connections, to a gateway with 4 database connections.  Every delivery
# must be answered 200, and each click must be stored once.
#
# t/020_retry_storm.pl
#
#-------------------------------------------------------------------------

use strict;
use warnings;

use HTTP::Tiny;
use POSIX ();
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use AutoplayGateway;

my $clients = 8;
my $clicks = 40;

my $node = AutoplayGateway::database_node('storm');

my $gw = AutoplayGateway->start(
	node => $node,
	env => { AUTOPLAY_TOKEN => $AutoplayGateway::TOKEN },
	args => [ '--pool', '4', '--threads', '2' ],
	name => 'storm');

# Each client writes the statuses it got, one a line, to its own file
my $dir = PostgreSQL::Test::Utils::tempdir();
my @pids;
for my $c (1 .. $clients)
{
	my $pid = fork();
	die "could not fork: $!" unless defined $pid;
	if ($pid == 0)
	{
		my $http = HTTP::Tiny->new(timeout => 30, keep_alive => 1);
		open(my $out, '>', "$dir/client$c") or POSIX::_exit(2);
		for my $n (1 .. $clicks)
		{
			my $res = $gw->post(AutoplayGateway::click_json($n), http => $http);
			print $out "$res->{status}\n";
		}
		close($out);
		POSIX::_exit(0);		# no END blocks in the child
	}
	push @pids, $pid;
}
waitpid($_, 0) for @pids;

# Every delivery was answered 200
my %statuses;
for my $c (1 .. $clients)
{
	$statuses{$_}++ for split /\n/, slurp_file("$dir/client$c");
}
is_deeply(\%statuses, { 200 => $clients * $clicks },
	"all $clients x $clicks deliveries answered 200");

# Each click stored exactly once
is( $node->safe_psql(
		'postgres',
		'SELECT count(*), count(DISTINCT (session_key, occurred_at)) FROM autoplay.clicks'),
	"$clicks|$clicks",
	"$clicks clicks stored, each once");
is($node->safe_psql('postgres', 'SELECT count(*) FROM autoplay.rejects'),
	'0', 'nothing rejected');

# The counters agree
my $m = $gw->metrics;
is($m->{'autoplay_gateway_clicks_total{outcome="accepted"}'},
	$clicks, 'metrics: accepted');
is($m->{'autoplay_gateway_clicks_total{outcome="duplicate"}'},
	($clients - 1) * $clicks, 'metrics: duplicates');
is($m->{'autoplay_gateway_requests_total{route="/ingest",status="200"}'},
	$clients * $clicks, 'metrics: requests');
is($m->{'autoplay_gateway_database_errors_total{kind="other"}'},
	0, 'metrics: no database error');

is($gw->stop, 0, 'gateway stops with 0');
$node->stop;
done_testing();
