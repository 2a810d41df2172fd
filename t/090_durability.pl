#-------------------------------------------------------------------------
#
# 090_durability.pl
#	  Crashes under load: PostgreSQL killed (SIGKILL of the postmaster, and
#	  an immediate shutdown) and the gateway killed (SIGKILL) while clients
#	  post clicks.  Every click acknowledged with 200 is stored exactly
#	  once, and the gateway recovers from the database's crashes by itself.
#
# Three child processes play FullStory: each posts its share of 300
# distinct clicks, one after the other, retries each until it gets 200
# (sooner than a real Retry-After, to keep the test short) and logs every
# 200 it receives with the status the answer gave, "accepted" or
# "duplicate".  Meanwhile, each after a number of acknowledgements:
#	1. the postmaster is killed with SIGKILL, and started again once the
#	   backends it left have gone;
#	2. the server is stopped in immediate mode and started again;
#	3. the gateway is killed with SIGKILL and started again on its port;
#	4. the gateway is killed while its statements wait for a lock, which
#	   is released before a new gateway starts: those statements commit
#	   although nobody will hear of it, so the clients' retries must be
#	   answered "duplicate".
# The gateway started first lives through 1 and 2.
#
# The cluster runs with fsync off, as PostgreSQL's test clusters do: a
# killed process loses nothing the kernel has been given, so what is
# tested is the gateway's promise (200 only after the commit), not the
# disk.
#
# t/090_durability.pl
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

my $total = 300;
my $clients = 3;
my %gw_opts = (
	env => { AUTOPLAY_TOKEN => $AutoplayGateway::TOKEN },
	args => [ '--pool', '3', '--threads', '2' ]);

my $node = AutoplayGateway::database_node('durability');
is($node->safe_psql('postgres', 'SHOW synchronous_commit'), 'on',
	'commits are synchronous, so a 200 means a durable click');

my $gw = AutoplayGateway->start(node => $node, %gw_opts, name => 'durable');
my $first = $gw;
my $port = $gw->port;

# The clients: client $c posts clicks $c + 1, $c + 1 + $clients, ...  Its
# log has "ack N accepted|duplicate STATUSES..." per click, with the
# statuses seen before the 200, or "gave-up N STATUSES..."
my $dir = PostgreSQL::Test::Utils::tempdir();
my @pids;
for my $c (0 .. $clients - 1)
{
	my $pid = fork();
	die "could not fork: $!" unless defined $pid;
	if ($pid == 0)
	{
		my $http = HTTP::Tiny->new(timeout => 30, keep_alive => 1);
		my $deadline = time + 90;
		open(my $out, '>', "$dir/client$c") or POSIX::_exit(2);
		$out->autoflush(1);
		for (my $n = $c + 1; $n <= $total; $n += $clients)
		{
			my @seen;
			my $acked = 0;
			while (!$acked && time < $deadline)
			{
				my $res =
				  $gw->post(AutoplayGateway::click_json($n), http => $http);
				my ($kind) = $res->{content} =~ /"status": "(\w+)"/;

				$acked = $res->{status} == 200;
				print $out "ack $n ", $kind // '?', " @seen\n" if $acked;
				push @seen, $res->{status};
				usleep(50_000) unless $acked;
			}
			print $out "gave-up $n @seen\n" unless $acked;
			usleep(30_000);
		}
		close($out);
		POSIX::_exit(0);
	}
	push @pids, $pid;
}

# acks: every "ack" line the clients have written so far
sub acks
{
	return map { /^(ack .*)$/mg }
	  map { -e "$dir/client$_" ? slurp_file("$dir/client$_") : '' }
	  0 .. $clients - 1;
}

# wait_acked: wait until at least $n clicks were acknowledged
sub wait_acked
{
	my ($n) = @_;
	my $deadline = time + 60;
	usleep(20_000) while scalar(acks()) < $n && time < $deadline;
	cmp_ok(scalar(acks()), '>=', $n, "$n clicks acknowledged");
	return;
}

# wait_healthy: wait up to 30 s for /healthz to answer 200 on $g
sub wait_healthy
{
	my ($g, $what) = @_;
	my $deadline = time + 30;
	my $status;

	while (time < $deadline)
	{
		$status = $g->request('GET', '/healthz', token => undef)->{status};
		last if $status == 200;
		usleep(50_000);
	}
	is($status, 200, "$what: /healthz 200 again");
	return;
}

# children_of: the processes whose parent is $pid
sub children_of
{
	my ($pid) = @_;
	my @children;

	for my $stat (glob('/proc/[0-9]*/stat'))
	{
		my $text = eval { slurp_file($stat) } // next;
		push @children, $1 if $text =~ /^(\d+) .*\) \S+ (\d+) / && $2 == $pid;
	}
	return @children;
}

# running: whether process $pid exists and is not a zombie
sub running
{
	my ($pid) = @_;
	my $text = eval { slurp_file("/proc/$pid/stat") } // return 0;
	return $text !~ /\) Z /;
}

# kill_postmaster: SIGKILL the postmaster, wait for the backends it left
# to notice and exit, then start the server again.  The dead postmaster
# must also have been reaped (by init, it is an orphan): until then its
# pid still exists, and a new postmaster would take its postmaster.pid for
# a live one's.
sub kill_postmaster
{
	my ($pm) = slurp_file($node->data_dir . '/postmaster.pid') =~ /^(\d+)/;
	my @left = children_of($pm);
	my $deadline = time + 30;
	my $started = 0;

	$node->kill9;
	usleep(50_000)
	  while (kill(0, $pm) || grep { running($_) } @left) && time < $deadline;
	ok(!kill(0, $pm), 'postmaster SIGKILL: the postmaster is gone');
	is(scalar(grep { running($_) } @left), 0,
		'... and the ' . scalar(@left) . ' processes it had started');

	# The server is down: the gateway says so
	my $res = $gw->request('GET', '/healthz', token => undef);
	is($res->{status}, 503, 'postmaster SIGKILL: /healthz 503');
	usleep(300_000);			# let the clients run into the outage

	# Should a leftover still hold the shared memory, try again (and forget
	# what a failed attempt left, as PostgreSQL's own tests do)
	for (1 .. 20)
	{
		last if ($started = $node->start(fail_ok => 1));
		$node->stop('fast', fail_ok => 1);
		usleep(500_000);
	}
	ok($started, 'postmaster SIGKILL: the server starts again');
	return;
}

# kill_gateway: SIGKILL the gateway, run $while_down (if given), and start
# a new gateway on the same port
sub kill_gateway
{
	my ($what, $while_down) = @_;

	$gw->signal('KILL');
	is($gw->wait_exit(10), 128 + 9, "$what: the gateway is killed");
	usleep(300_000);			# the clients find nobody listening
	$while_down->() if $while_down;
	$gw = AutoplayGateway->start(
		node => $node,
		%gw_opts,
		port => $port,
		name => 'durable');
	is($gw->port, $port, "$what: a new gateway listens on the same port");
	return;
}

# 1. SIGKILL of the postmaster
wait_acked(40);
kill_postmaster();
wait_healthy($gw, 'postmaster SIGKILL');
is($gw->pid, $first->pid, '... the same gateway, recovered by itself');

# 2. Immediate shutdown
wait_acked(80);
$node->stop('immediate');
is($gw->request('GET', '/healthz', token => undef)->{status}, 503,
	'immediate stop: /healthz 503');
usleep(300_000);
$node->start;
wait_healthy($gw, 'immediate stop');
is($gw->pid, $first->pid, '... the same gateway, recovered by itself');
my $first_log = $gw->log_content;

# 3. SIGKILL of the gateway mid-load
wait_acked(120);
kill_gateway('gateway SIGKILL');

# 4. SIGKILL of the gateway while its statements wait for a lock: they
# commit after it died, before the clients can retry
my $locker = $node->background_psql('postgres');
wait_acked(160);
$locker->query_safe(
	'BEGIN; LOCK TABLE autoplay.clicks IN ACCESS EXCLUSIVE MODE');
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) > 0 FROM pg_stat_activity "
		  . "WHERE usename = 'gw' AND wait_event_type = 'Lock'"),
	'gateway statements wait for the lock');
my $waiting = $node->safe_psql('postgres',
	"SELECT count(*) FROM pg_stat_activity "
	  . "WHERE usename = 'gw' AND wait_event_type = 'Lock'");
kill_gateway(
	'gateway SIGKILL with statements waiting',
	sub {
		$locker->query_safe('COMMIT');
		$locker->quit;
		ok( $node->poll_query_until(
				'postgres',
				"SELECT count(*) = 0 FROM pg_stat_activity WHERE usename = 'gw'"),
			"the $waiting orphaned statements went on, and their sessions ended");
	});

# The stream finishes
for my $pid (@pids)
{
	waitpid($pid, 0);
	is($?, 0, "client $pid finished");
}
my @acks = acks();
my @gave_up = map { /^(gave-up .*)$/mg }
  map { slurp_file("$dir/client$_") } 0 .. $clients - 1;
is(scalar(@acks), $total, "all $total clicks were acknowledged in the end");
is(scalar(@gave_up), 0, 'no client gave up') or diag(join("\n", @gave_up));
my %before =
  map { $_ => 1 } map { /^ack \d+ \w+ (.*)$/ ? split(/ /, $1) : () } @acks;
is(join(' ', sort keys %before), '503 599',
	'before their 200, clicks saw only 503 (database down) '
	  . 'and 599 (gateway down)');

# A click whose statement committed unheard is answered "duplicate" when
# retried, and is not stored again
my @duplicates = grep { /^ack \d+ duplicate / } @acks;
cmp_ok(scalar(@duplicates), '>=', $waiting,
	"the $waiting clicks committed after their gateway died were "
	  . 'retried as duplicates (' . scalar(@duplicates) . ' duplicates)');
note('clicks that saw 503 first: ' . scalar(grep { / 503\b/ } @acks)
	  . ', 599 first: ' . scalar(grep { / 599\b/ } @acks));
is(scalar(grep { !/^ack \d+ (?:accepted|duplicate) / } @acks), 0,
	'every 200 said accepted or duplicate');

# Exactly once: one row per acknowledged (session_key, occurred_at), and no
# other row
my %acked =
  map { /^ack (\d+) / ? (AutoplayGateway::click_key($1) => 1) : () } @acks;
my %rows = map { /^(\S+ \d+) (\d+)$/ ? ($1 => $2) : () } split /\n/,
  $node->safe_psql('postgres',
	    "SELECT session_key || ' ' || min(occurred_unix) || ' ' || count(*) "
	  . 'FROM autoplay.clicks GROUP BY session_key, occurred_at');
my @missing = grep { !$rows{$_} } sort keys %acked;
my @twice = grep { $rows{$_} > 1 } sort keys %rows;
my @unasked = grep { !$acked{$_} } sort keys %rows;
is(scalar(@missing), 0, 'no acknowledged click is missing')
  or diag("missing: @missing");
is(scalar(@twice), 0, 'no click is stored twice') or diag("twice: @twice");
is(scalar(@unasked), 0, 'no other click is stored') or diag("other: @unasked");
is($node->safe_psql('postgres', 'SELECT count(*) FROM autoplay.clicks'),
	$total, "$total rows in all");
is($node->safe_psql('postgres', 'SELECT count(*) FROM autoplay.rejects'),
	'0', 'nothing was rejected');

# The first gateway logged both losses and both recoveries
my $lost = () =
  $first_log =~ /^autoplay-gateway: lost connection to database: /mg;
my $back = () =
  $first_log =~ /^autoplay-gateway: connection to database restored$/mg;
cmp_ok($lost, '>=', 2, "losses logged ($lost)");
is($back, $lost, 'each followed by a recovery');

# The last gateway serves, and counted what it saw
my $m = $gw->metrics;
is($m->{'autoplay_gateway_database_up'}, 1, 'database_up is 1');
is($gw->post(AutoplayGateway::click_json(1))->{status}, 200,
	'a retried click is still 200');
is($node->safe_psql('postgres', 'SELECT count(*) FROM autoplay.clicks'),
	$total, '... and still stored once');

is($gw->stop, 0, 'gateway stops with 0');
$node->stop;
done_testing();
