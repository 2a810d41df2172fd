#-------------------------------------------------------------------------
#
# 030_tokens.pl
#	  Bearer tokens: several at once, rotation on SIGHUP without downtime,
#	  bad reloads that keep the tokens in force, and no token in any log.
#
# Rotation as an operator does it: add the new token to the file and send
# SIGHUP; move the FullStory destination to the new token; remove the old
# one and send SIGHUP again.  A client using a token that stays valid
# throughout must never see anything but 200.
#
# t/030_tokens.pl
#
#-------------------------------------------------------------------------

use strict;
use warnings;

use HTTP::Tiny;
use POSIX ();
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

use AutoplayGateway;

my ($old, $new, $env) = ('old-token-0a1b2c3d', 'new-token-4e5f6a7b',
	'env-token-8c9d0e1f');

my $node = AutoplayGateway::database_node('tokens');

my $gw = AutoplayGateway->start(
	node => $node,
	tokens => [$old],
	env => { AUTOPLAY_TOKEN => "$env, " },
	name => 'tokens');
like($gw->log_content, qr/accepting 2 bearer tokens from any address/,
	'file and environment tokens both count');

# status_with: the status of a POST of the click numbered $n with $token
sub status_with
{
	my ($token, $n) = @_;
	return $gw->post(AutoplayGateway::click_json($n), token => $token)
	  ->{status};
}

# reload: send SIGHUP, wait for its outcome line (the reloads-th one),
# and check the log says $expect
my $reloads = 0;
sub reload
{
	my ($expect) = @_;
	my $done = 0;
	$reloads++;
	$gw->signal('HUP');
	for (1 .. 750)
	{
		my @lines = $gw->log_content =~ /^.*(?:reloaded tokens|keeping the).*$/mg;
		last if ($done = @lines >= $reloads);
		usleep(20_000);
	}
	ok($done, "reload $reloads is logged");
	like($gw->log_content, $expect, "reload $reloads: log says so");
	usleep(200_000);			# let the client post in each state
	return;
}

is(status_with($old, 1), 200, 'file token: 200');
is(status_with($env, 2), 200, 'environment token: 200');
is(status_with($new, 3), 401, 'token not yet added: 401');

# A client posting with the environment token during the whole rotation
my $dir = PostgreSQL::Test::Utils::tempdir();
my $stop_file = "$dir/stop";
my $pid = fork();
die "could not fork: $!" unless defined $pid;
if ($pid == 0)
{
	my $http = HTTP::Tiny->new(timeout => 30, keep_alive => 1);
	my %seen;
	for my $i (1 .. 2000)
	{
		last if -e $stop_file;
		my $res = $gw->post(AutoplayGateway::click_json(100 + $i % 50),
			token => $env, http => $http);
		$seen{ $res->{status} }++;
		usleep(2_000);
	}
	open(my $out, '>', "$dir/seen") or POSIX::_exit(2);
	print $out join(',', map { "$_=$seen{$_}" } sort keys %seen), "\n";
	close($out);
	POSIX::_exit(0);
}

# Step 1: add the new token
$gw->write_tokens($old, $new);
reload(qr/reloaded tokens: 3 accepted/);
is(status_with($old, 4), 200, 'step 1: old token still 200');
is(status_with($new, 5), 200, 'step 1: new token 200');

# Step 2: remove the old one
$gw->write_tokens($new);
reload(qr/reloaded tokens: 2 accepted/);
is(status_with($old, 6), 401, 'step 2: old token now 401');
is(status_with($new, 7), 200, 'step 2: new token 200');

# A bad line: the reload is refused, the tokens stay
$gw->write_tokens($new, 'has a space');
reload(qr/invalid token in line 3 of file ".*tokens": only printable ASCII without spaces is allowed\n.*keeping the 2 tokens loaded before/);
is(status_with($new, 8), 200, 'bad reload: new token still 200');
is(status_with($old, 9), 401, 'bad reload: old token still 401');

# A missing file: the same
my $file = $gw->{tokens_file};
rename($file, "$file.away") or die "could not rename: $!";
reload(qr/could not open token file ".*tokens": No such file or directory\n.*keeping the 2 tokens loaded before/);
is(status_with($new, 10), 200, 'missing file: new token still 200');
rename("$file.away", $file) or die "could not rename: $!";

# The client saw 200 only, many times
open(my $fh, '>', $stop_file) or die "could not write: $!";
close($fh);
waitpid($pid, 0);
my $seen = slurp_file("$dir/seen");
like($seen, qr/^200=\d+$/, "client during rotation saw 200 only ($seen)");
cmp_ok(($seen =~ /^200=(\d+)/)[0], '>=', 5, '... and posted during it');

# The gateway still runs, and no token went to its log
is(status_with($env, 11), 200, 'still serving');
my $log = $gw->log_content;
unlike($log, qr/\Q$old\E|\Q$new\E|\Q$env\E|has a space/, 'no token in the log');

is($gw->stop, 0, 'gateway stops with 0');
$node->stop;
done_testing();
