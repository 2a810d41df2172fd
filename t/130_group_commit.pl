#-------------------------------------------------------------------------
#
# 130_group_commit.pl
#	  Concurrent requests share one transaction, and each is answered only
#	  after its commit; a failure inside a group fails nobody else.
#
# With one database connection, a first request is held on a lock while
# more requests queue behind it.  When the lock goes, the queued requests
# run as one group: one BEGIN ... COMMIT in the server's statement log.
# Then, with autoplay.strict on for the gateway's role, an invalid click
# raises an error inside a group: the group is rolled back and its jobs
# run again one by one, so the good clicks are stored and the bad one gets
# its 422.
#
# t/130_group_commit.pl
#
#-------------------------------------------------------------------------

use strict;
use warnings;

use HTTP::Tiny;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

use AutoplayGateway;

my $node = PostgreSQL::Test::Cluster->new('group');
$node->init;
$node->append_conf('postgresql.conf', "log_statement = 'all'");
$node->start;
AutoplayGateway::setup_database($node);

my $dir = PostgreSQL::Test::Utils::tempdir();

# post_in_child: POST $body from a child process that writes the status to
# $dir/$name; returns the child's pid
sub post_in_child
{
	my ($gw, $name, $body) = @_;
	my $pid = fork();
	die "could not fork: $!" unless defined $pid;
	if ($pid == 0)
	{
		my $res = $gw->post($body);
		open(my $out, '>', "$dir/$name") or POSIX::_exit(2);
		print $out $res->{status};
		close($out);
		POSIX::_exit(0);
	}
	return $pid;
}

# wait_until: poll $check every 50 ms for up to 30 s; true when it held
sub wait_until
{
	my ($check) = @_;
	for (1 .. 600)
	{
		return 1 if $check->();
		usleep(50_000);
	}
	return 0;
}

# hold_and_queue: hold a lock that the first request waits on, queue
# @bodies behind it, release, and return the statuses by name
sub hold_and_queue
{
	my ($gw, %bodies) = @_;
	my $locker = $node->background_psql('postgres');
	my @pids;

	# The lock, then a first request (a connection test) that waits on it
	$locker->query_safe('BEGIN');
	$locker->query_safe('LOCK TABLE autoplay.rejects');
	push @pids, post_in_child($gw, 'first', '{}');
	ok( wait_until(
			sub {
				$node->safe_psql('postgres',
					"SELECT count(*) FROM pg_stat_activity "
					  . "WHERE usename = 'gw' AND wait_event_type = 'Lock'")
				  eq '1';
			}),
		'the first request waits on the lock');

	# The others queue behind it in the gateway
	push @pids, post_in_child($gw, $_, $bodies{$_}) for sort keys %bodies;
	my $n = scalar keys %bodies;
	ok( wait_until(
			sub {
				($gw->metrics->{'autoplay_gateway_queue_length'} // -1) == $n;
			}),
		"$n requests queued");

	# Release, and collect every answer
	$locker->query_safe('COMMIT');
	$locker->quit;
	waitpid($_, 0) for @pids;
	my %status;
	$status{$_} = slurp_file("$dir/$_") for ('first', keys %bodies);
	return \%status;
}

my $log_start = -s $node->logfile;
my $gw = AutoplayGateway->start(
	node => $node,
	env => { AUTOPLAY_TOKEN => $AutoplayGateway::TOKEN },
	args => [ '--pool', '1' ],
	name => 'group');

# Twenty clicks and two bodies that are not JSON, in one group
my %bodies = map { sprintf('click%02d', $_) => AutoplayGateway::click_json($_) }
  1 .. 20;
$bodies{notjson1} = '{"session_id": ';
$bodies{notjson2} = 'nope';
my $status = hold_and_queue($gw, %bodies);
is($status->{first}, 200, 'the first request: 200');
is_deeply([ map { $status->{ sprintf('click%02d', $_) } } 1 .. 20 ],
	[ (200) x 20 ], 'twenty clicks: 200');
is_deeply([ @$status{qw(notjson1 notjson2)} ], [ 400, 400 ],
	'two bodies that are not JSON: 400');
is( $node->safe_psql('postgres',
		'SELECT count(*), count(DISTINCT (session_key, occurred_at)) FROM autoplay.clicks'),
	'20|20', 'twenty clicks stored, each once');

# The server saw one transaction for the queued requests
my $log = substr(slurp_file($node->logfile), $log_start);
my $begins = () = $log =~ /execute <unnamed>: BEGIN/g;
my $commits = () = $log =~ /execute <unnamed>: COMMIT/g;
is($begins, 1, 'one BEGIN for the group');
is($commits, 1, 'one COMMIT for the group');

# Under autoplay.strict an invalid click raises an error inside the group
$node->safe_psql('postgres', 'ALTER ROLE gw SET autoplay.strict = on');
is($gw->stop, 0, 'gateway stops');
$gw = AutoplayGateway->start(
	node => $node,
	env => { AUTOPLAY_TOKEN => $AutoplayGateway::TOKEN },
	args => [ '--pool', '1' ],
	name => 'group-strict');
$log_start = -s $node->logfile;
%bodies = map { sprintf('click%02d', $_) => AutoplayGateway::click_json($_) }
  21 .. 30;
$bodies{invalid} =
  '{"session_id": "1%3A2", "timestamp": "2025-10-21T14:17:34.073"}';
$status = hold_and_queue($gw, %bodies);
is_deeply([ map { $status->{ sprintf('click%02d', $_) } } 21 .. 30 ],
	[ (200) x 10 ], 'ten clicks beside the invalid one: 200');
is($status->{invalid}, 422, 'the invalid click: 422');
is( $node->safe_psql('postgres', 'SELECT count(*) FROM autoplay.clicks'),
	'30', 'the ten clicks stored too');
$log = substr(slurp_file($node->logfile), $log_start);
like($log, qr/execute <unnamed>: BEGIN/, 'the group was tried');
like($log, qr/statement: ROLLBACK/, 'and rolled back');

is($gw->stop, 0, 'gateway stops with 0');
$node->stop;
done_testing();
