#-------------------------------------------------------------------------
#
# 120_valgrind.pl
#	  autoplay-gateway under valgrind's memcheck: a mix of every kind of
#	  request, a database restart and a SIGTERM, with no memory error and
#	  no leak.
#
# The gateway is started through a small wrapper script that execs it
# under valgrind, so that the shared module starts it as usual.  memcheck
# is slow: the mix is small, and time limits are generous.
#
# t/120_valgrind.pl
#
#-------------------------------------------------------------------------

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use AutoplayGateway;

plan skip_all => 'valgrind is not installed'
  unless system('valgrind --version >/dev/null 2>&1') == 0;

my $node = AutoplayGateway::database_node('valgrind');

# The wrapper: exec the real gateway under memcheck, report to a file
my $dir = PostgreSQL::Test::Utils::tempdir();
my $report = "$dir/memcheck.log";
my $real = AutoplayGateway::program();
my $wrapper = "$dir/gateway-under-valgrind";
open(my $fh, '>', $wrapper) or die "could not write $wrapper: $!";
print $fh "#!/bin/sh\n",
  "exec valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect",
  " --errors-for-leak-kinds=definite,indirect --error-exitcode=99",
  " --log-file=$report $real \"\$@\"\n";
close($fh);
chmod(0755, $wrapper);
local $ENV{AUTOPLAY_GATEWAY} = $wrapper;

my $gw = AutoplayGateway->start(
	node => $node,
	env => { AUTOPLAY_TOKEN => $AutoplayGateway::TOKEN },
	args => [ '--max-body', '4096', '--pool', '2', '--threads', '2' ],
	name => 'valgrind');

# Every kind of answer
is($gw->post(AutoplayGateway::click_json(1))->{status}, 200, 'accepted');
is($gw->post(AutoplayGateway::click_json(1))->{status}, 200, 'duplicate');
is($gw->post('[' . AutoplayGateway::click_json(2) . ', 7]')->{status},
	200, 'mixed array');
is($gw->post('{"session_id": "1%3A2"')->{status}, 400, 'not JSON');
is($gw->post('{"session_id": "1%3A2", "timestamp": "soon"}')->{status},
	422, 'invalid click');
is($gw->post('{}')->{status}, 200, 'connection test');
is($gw->post(AutoplayGateway::click_json(3), token => 'wrong')->{status},
	401, 'wrong token');
is($gw->post('x' x 5000)->{status}, 413, 'too large');
is($gw->request('GET', '/nowhere')->{status}, 404, 'not found');
is($gw->request('GET', '/healthz')->{status}, 200, 'healthz');
is($gw->request('GET', '/metrics')->{status}, 200, 'metrics');

# Losing the database and finding it again
$node->stop('fast');
is($gw->post(AutoplayGateway::click_json(4))->{status}, 503,
	'database away');
$node->start;
ok($gw->wait_for_log(qr/connection to database restored/, 60),
	'reconnected');
my $status;
for (1 .. 60)
{
	$status = $gw->post(AutoplayGateway::click_json(4))->{status};
	last if $status == 200;
	sleep 1;
}
is($status, 200, 'stored after the restart');

# SIGTERM: a clean exit, and memcheck's verdict
is($gw->stop, 0, 'exit status 0 (99 would be a memcheck error)');
ok(-e $report, 'memcheck ran');
my $findings = -e $report ? slurp_file($report) : '';
is($findings, '', 'memcheck reported nothing')
  or diag($findings);

is( $node->safe_psql('postgres', 'SELECT count(*) FROM autoplay.clicks'),
	'3', 'every accepted click stored once');

done_testing();
