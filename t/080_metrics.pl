#-------------------------------------------------------------------------
#
# 080_metrics.pl
#	  GET /metrics: the exposition format and the exact counter values
#	  after a known mix of requests.
#
# t/080_metrics.pl
#
#-------------------------------------------------------------------------

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use AutoplayGateway;

my $node = AutoplayGateway::database_node('metrics');

my $gw = AutoplayGateway->start(
	node => $node,
	env => { AUTOPLAY_TOKEN => $AutoplayGateway::TOKEN },
	args => [ '--pool', '2' ],
	name => 'metrics');

# A fresh gateway: the counters start at zero
my $m = $gw->metrics;
is($m->{'autoplay_gateway_clicks_total{outcome="accepted"}'}, 0,
	'no click yet');
ok(!exists $m->{'autoplay_gateway_requests_total{route="/ingest",status="200"}'},
	'no ingest request yet');

# A known mix
my %expect_status = (
	'/ingest 200' => 4,		# 2 new, 1 duplicate, 1 test
	'/rpc/autoplay_ingest 200' => 1,	# 1 new
	'/ingest 400' => 2,		# not JSON; [1, 2]
	'/ingest 422' => 1,
	'/ingest 401' => 1,
	'/ingest 415' => 1,
	'/ingest 405' => 1,
	'other 404' => 2,
	'/healthz 200' => 3,
	'/healthz 405' => 1,
	'/metrics 200' => 3);	# scrapes before the one read below
is($gw->post(AutoplayGateway::click_json(1))->{status}, 200, 'new');
is($gw->post(AutoplayGateway::click_json(2))->{status}, 200, 'new');
is($gw->post(AutoplayGateway::click_json(2))->{status}, 200, 'duplicate');
is($gw->post('{}')->{status}, 200, 'test');
is($gw->post(AutoplayGateway::click_json(3), path => '/rpc/autoplay_ingest')
	  ->{status}, 200, 'new via rpc');
is($gw->post('nope')->{status}, 400, 'not JSON');
is($gw->post('[1, 2]')->{status}, 400, 'not clicks');
is($gw->post('{"session_id": "1%3A2", "timestamp": "x"}')->{status},
	422, 'invalid');
is($gw->post('{}', token => 'bad')->{status}, 401, 'bad token');
is($gw->post('{}', content_type => 'text/plain')->{status}, 415, 'text');
is($gw->request('GET', '/ingest')->{status}, 405, 'GET /ingest');
is($gw->request('GET', '/x')->{status}, 404, 'GET /x');
is($gw->request('GET', '/y')->{status}, 404, 'GET /y');
is($gw->request('GET', '/healthz')->{status}, 200, 'healthz') for 1 .. 3;
is($gw->post('{}', path => '/healthz')->{status}, 405, 'POST /healthz');
$gw->metrics;

# The text itself: every family has HELP and TYPE, every sample a number
my $res = $gw->request('GET', '/metrics', token => undef);
is($res->{headers}{'content-type'}, 'text/plain; version=0.0.4; charset=utf-8',
	'Prometheus content type');
my (%help, %type);
my $bad = 0;
for my $line (split /\n/, $res->{content})
{
	if ($line =~ /^# HELP (\w+) \S/) { $help{$1} = 1; next; }
	if ($line =~ /^# TYPE (\w+) (counter|gauge|histogram)$/) { $type{$1} = $2; next; }

	# A sample: name, optional labels, a number; its family has a TYPE
	my ($name) = $line =~ /^(\w+)(?:\{\w+="[^"]*"(?:,\w+="[^"]*")*\})? [0-9.e+-]+$/;
	(my $base = $name // '') =~ s/_(?:bucket|sum|count)$//;
	my $family = ($type{$base} // '') eq 'histogram' ? $base : $name;
	$bad++, diag("bad line: $line") unless $name && $type{$family};
}
is($bad, 0, 'every line is well formed and typed');
is_deeply([ sort keys %help ], [ sort keys %type ], 'HELP and TYPE agree');
is($type{autoplay_gateway_request_duration_seconds}, 'histogram',
	'latency is a histogram');

# The counters
$m = $gw->metrics;
my %got_status;
for my $key (keys %$m)
{
	next unless $key =~ /^autoplay_gateway_requests_total\{route="([^"]+)",status="(\d+)"\}$/;
	$got_status{"$1 $2"} = $m->{$key};
}
is_deeply(\%got_status, \%expect_status, 'requests_total by route and status');

is($m->{'autoplay_gateway_clicks_total{outcome="accepted"}'}, 3, 'accepted');
is($m->{'autoplay_gateway_clicks_total{outcome="duplicate"}'}, 1, 'duplicate');
is($m->{'autoplay_gateway_clicks_total{outcome="rejected"}'}, 4, 'rejected');
is($m->{'autoplay_gateway_clicks_total{outcome="test"}'}, 1, 'test');
is($m->{'autoplay_gateway_database_errors_total{kind="connection"}'}, 0,
	'no connection error');
is($m->{'autoplay_gateway_database_errors_total{kind="other"}'}, 0,
	'no other database error');
is($m->{'autoplay_gateway_database_up'}, 1, 'database up');
is($m->{'autoplay_gateway_database_connections'}, 2, 'two connections');
is($m->{'autoplay_gateway_queue_length'}, 0, 'empty queue');
is($m->{'autoplay_gateway_requests_in_flight'}, 1, 'one request in flight: the scrape');
is($m->{'autoplay_gateway_requests_aborted_total'}, 0, 'none aborted');

# The histogram: cumulative buckets ending in +Inf = count
my $ingest_count = 0;
$ingest_count += $expect_status{$_} for grep { m{^/ingest } } keys %expect_status;
my $route = 'route="/ingest"';
is($m->{"autoplay_gateway_request_duration_seconds_count{$route}"},
	$ingest_count, 'histogram count equals /ingest requests');
is($m->{"autoplay_gateway_request_duration_seconds_bucket{$route,le=\"+Inf\"}"},
	$ingest_count, '+Inf bucket equals the count');
my @le = qw(0.001 0.0025 0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5 10 +Inf);
my @cum = map { $m->{"autoplay_gateway_request_duration_seconds_bucket{$route,le=\"$_\"}"} } @le;
is(scalar(grep { defined } @cum), scalar(@le), 'all buckets present');
is(scalar(grep { $cum[$_] < $cum[ $_ - 1 ] } 1 .. $#cum), 0,
	'buckets are cumulative');
cmp_ok($m->{"autoplay_gateway_request_duration_seconds_sum{$route}"},
	'>', 0, 'sum of latencies');

is($gw->stop, 0, 'gateway stops with 0');
$node->stop;
done_testing();
