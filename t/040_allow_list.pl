#-------------------------------------------------------------------------
#
# 040_allow_list.pl
#	  The CIDR allow-list: 403 for an address outside it, on every route,
#	  before the token is even looked at.
#
# All traffic stays on the loopback network: 127.0.0.2 is a second local
# source address, so a list naming only one of 127.0.0.1 and 127.0.0.2
# admits one client and refuses the other.
#
# t/040_allow_list.pl
#
#-------------------------------------------------------------------------

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use AutoplayGateway;

my $node = AutoplayGateway::database_node('allow');

my %env = (AUTOPLAY_TOKEN => $AutoplayGateway::TOKEN);
my $clicks = sub {
	$node->safe_psql('postgres', 'SELECT count(*) FROM autoplay.clicks');
};

# FullStory's two blocks only: a local client is refused everywhere
my $gw = AutoplayGateway->start(
	node => $node,
	env => { %env, AUTOPLAY_ALLOW => '8.35.195.0/29, 34.89.210.80/29' },
	name => 'fullstory_only');
like($gw->log_content,
	qr/accepting 1 bearer token from 8\.35\.195\.0\/29, 34\.89\.210\.80\/29/,
	'the allow-list is logged');
my $res = $gw->post(AutoplayGateway::click_json(1));
is($res->{status}, 403, 'outside the list, with a good token: 403');
is($res->{content}, qq({"error": "address not allowed"}\n), '... says why');
is($gw->post(AutoplayGateway::click_json(1), token => undef)->{status},
	403, 'outside the list, without a token: 403, not 401');
is($gw->post('{}', path => '/rpc/autoplay_ingest')->{status}, 403,
	'PostgREST path: 403');
is($gw->request('GET', '/healthz', token => undef)->{status}, 403,
	'/healthz: 403');
is($gw->request('GET', '/metrics', token => undef)->{status}, 403,
	'/metrics: 403');
is($gw->request('GET', '/nowhere', token => undef)->{status}, 403,
	'unknown path: 403');
is($clicks->(), '0', 'nothing stored');
is($gw->stop, 0, 'stops with 0');

# One host: 127.0.0.2 is allowed, 127.0.0.1 is not
$gw = AutoplayGateway->start(
	node => $node,
	env => \%env,
	args => [ '--allow', '127.0.0.2' ],
	name => 'one_host');
is($gw->post(AutoplayGateway::click_json(2))->{status},
	403, '127.0.0.1 outside 127.0.0.2/32: 403');
is( $gw->post(AutoplayGateway::click_json(2), local_addr => '127.0.0.2')
	  ->{status},
	200,
	'127.0.0.2 inside 127.0.0.2/32: 200');
is($gw->post('{}', local_addr => '127.0.0.2', token => 'wrong')->{status},
	401, 'inside the list, wrong token: 401');
is($clicks->(), '1', 'the allowed click is stored');
is($gw->stop, 0, 'stops with 0');

# A prefix that covers both, next to an IPv6 entry
$gw = AutoplayGateway->start(
	node => $node,
	env => { %env, AUTOPLAY_ALLOW => '::1/128,127.0.0.0/30' },
	name => 'prefix');
is($gw->post(AutoplayGateway::click_json(3))->{status},
	200, '127.0.0.1 inside 127.0.0.0/30: 200');
is( $gw->post(AutoplayGateway::click_json(4), local_addr => '127.0.0.2')
	  ->{status},
	200,
	'127.0.0.2 inside 127.0.0.0/30: 200');
is( $gw->post(AutoplayGateway::click_json(5), local_addr => '127.0.0.4')
	  ->{status},
	403,
	'127.0.0.4 outside 127.0.0.0/30: 403');
is($clicks->(), '3', 'allowed clicks stored');

# Refusals are counted like any answer
my $m = $gw->metrics;
is($m->{'autoplay_gateway_requests_total{route="/ingest",status="403"}'},
	1, 'metrics count the 403');
is($gw->stop, 0, 'stops with 0');

$node->stop;
done_testing();
