#-------------------------------------------------------------------------
#
# 001_config.pl
#	  autoplay-gateway's flags, environment variables and refusals to start.
#
# No database is needed: these run the program alone, or with a DSN that
# points at a closed port (which also shows the gateway starting while
# the database is away and answering 503 until it comes).
#
# t/001_config.pl
#
#-------------------------------------------------------------------------

use strict;
use warnings;

use IO::Socket::INET;
use PostgreSQL::Test::Utils;
use Test::More;

use AutoplayGateway;

my $gw_bin = AutoplayGateway::program();

# --help, --version, and an unknown option
program_help_ok($gw_bin);
program_version_ok($gw_bin);
program_options_handling_ok($gw_bin);

# --help names every flag and its environment variable
my ($stdout, $stderr);
IPC::Run::run([ $gw_bin, '--help' ], '>', \$stdout, '2>', \$stderr);
for my $flag (
	qw(--listen AUTOPLAY_LISTEN --dsn AUTOPLAY_DSN --token-file
	AUTOPLAY_TOKEN_FILE AUTOPLAY_TOKEN --allow AUTOPLAY_ALLOW --max-body
	AUTOPLAY_MAX_BODY --pool AUTOPLAY_POOL --threads AUTOPLAY_THREADS
	--timeout AUTOPLAY_TIMEOUT --grace AUTOPLAY_GRACE --insecure-no-auth
	AUTOPLAY_INSECURE_NO_AUTH --log-requests AUTOPLAY_LOG_REQUESTS))
{
	like($stdout, qr/\Q$flag\E\b/, "--help mentions $flag");
}

# A closed port for a database that is not there
my $closed = IO::Socket::INET->new(
	LocalAddr => '127.0.0.1',
	LocalPort => 0,
	Proto => 'tcp',
	Listen => 1) or die "could not bind: $!";
my $dead_port = $closed->sockport;
close($closed);
my $dead_dsn = "host=127.0.0.1 port=$dead_port dbname=postgres user=gw";

# refuses: run the gateway with the given environment and arguments, expect
# it to exit 1 at once with a message matching $re
sub refuses
{
	my ($env, $args, $re, $name) = @_;
	local %ENV = %ENV;
	delete $ENV{$_} for grep { /^AUTOPLAY_/ && $_ ne 'AUTOPLAY_GATEWAY' } keys %ENV;
	$ENV{$_} = $env->{$_} for keys %$env;
	my ($out, $err) = ('', '');
	my $ok = IPC::Run::run(
		[ $gw_bin, '--listen', '127.0.0.1:0', '--dsn', $dead_dsn, @$args ],
		'>', \$out, '2>', \$err, IPC::Run::timeout(20));
	ok(!$ok, "$name: exit status is not zero");
	like($err, $re, "$name: message");
	return;
}

# No token: refuses unless told --insecure-no-auth
refuses({}, [], qr/^autoplay-gateway: no bearer token configured$/m,
	'no token');
refuses({ AUTOPLAY_TOKEN => ' , ' }, [],
	qr/no bearer token configured/, 'only empty tokens');
refuses({ AUTOPLAY_TOKEN => 'abc' }, ['--insecure-no-auth'],
	qr/--insecure-no-auth cannot be used together with tokens/,
	'tokens with --insecure-no-auth');
refuses({}, [ '--token-file', '/nonexistent/tokens' ],
	qr/could not open token file "\/nonexistent\/tokens": No such file/,
	'missing token file');
refuses({ AUTOPLAY_TOKEN => "has space" }, [],
	qr/invalid token in item 1 of AUTOPLAY_TOKEN: only printable ASCII/,
	'token with a space');
my $long = 'x' x 513;
refuses({ AUTOPLAY_TOKEN => "ok,$long" }, [],
	qr/invalid token in item 2 of AUTOPLAY_TOKEN: longer than 512 bytes/,
	'token too long');
unlike(
	do
	{
		my $err = '';
		local $ENV{AUTOPLAY_TOKEN} = "ok,$long";
		IPC::Run::run([ $gw_bin, '--dsn', $dead_dsn ], '>', \my $o, '2>',
			\$err);
		$err;
	},
	qr/xxxxxxxx/,
	'a bad token is not echoed');

# Bad values, from flags and from the environment
my %tok = (AUTOPLAY_TOKEN => 'abc');
refuses(\%tok, [ '--pool', '0' ],
	qr/invalid value "0" for option --pool: must be an integer from 1 to 1000/,
	'--pool 0');
refuses({ %tok, AUTOPLAY_THREADS => 'many' }, [],
	qr/invalid value "many" for option --threads/, 'AUTOPLAY_THREADS');
refuses(\%tok, [ '--max-body', '1GB' ],
	qr/invalid value "1GB" for option --max-body/, '--max-body 1GB');
refuses(\%tok, [ '--max-body', '-5' ],
	qr/invalid value "-5" for option --max-body/, '--max-body -5');
refuses(\%tok, [ '--allow', '10.0.0.1/8' ],
	qr/invalid value "10.0.0.1\/8" in --allow: address has bits set past the prefix length/,
	'--allow with host bits');
refuses({ %tok, AUTOPLAY_ALLOW => '8.35.195.0/29,nonsense' }, [],
	qr/invalid value "nonsense" in --allow: not an IP address/,
	'AUTOPLAY_ALLOW with a bad item');
refuses(\%tok, [ '--allow', '::1/129' ],
	qr/invalid prefix length/, '--allow IPv6 prefix too long');
refuses(\%tok, [ '--listen', 'nonsense' ],
	qr/invalid value "nonsense" for option --listen/, '--listen without port');
refuses(\%tok, [ '--dsn', 'host=x bogus_keyword=1' ],
	qr/invalid connection string in --dsn: .*bogus_keyword/,
	'--dsn that libpq refuses');
refuses({ %tok, AUTOPLAY_LOG_REQUESTS => 'maybe' }, [],
	qr/invalid value "maybe" for option --log-requests: must be a boolean/,
	'AUTOPLAY_LOG_REQUESTS not a boolean');
refuses(\%tok, ['extra'], qr/too many command-line arguments/,
	'extra argument');

# A port in use
my $busy = IO::Socket::INET->new(
	LocalAddr => '127.0.0.1',
	LocalPort => 0,
	Proto => 'tcp',
	Listen => 5) or die "could not bind: $!";
my $busy_port = $busy->sockport;
{
	local %ENV = (%ENV, AUTOPLAY_TOKEN => 'abc');
	my ($out, $err) = ('', '');
	IPC::Run::run(
		[ $gw_bin, '--listen', "127.0.0.1:$busy_port", '--dsn', $dead_dsn ],
		'>', \$out, '2>', \$err, IPC::Run::timeout(20));
	like(
		$err,
		qr/^autoplay-gateway: could not listen on "127\.0\.0\.1:$busy_port": Address already in use$/m,
		'port in use');
}
close($busy);

# --insecure-no-auth starts, with a warning; the database is away, so
# /healthz and ingest answer 503 with Retry-After; metrics still work
my $gw = AutoplayGateway->start(
	dsn => $dead_dsn,
	args => [ '--insecure-no-auth', '--pool', '1', '--threads', '1' ],
	name => 'insecure');
ok($gw->wait_for_log(qr/^autoplay-gateway: warning: accepting requests without a bearer token/m),
	'--insecure-no-auth warns');
ok($gw->wait_for_log(qr/^autoplay-gateway: could not connect to database: /m),
	'unreachable database is logged');
my $res = $gw->request('GET', '/healthz', token => undef);
is($res->{status}, 503, '/healthz without a database is 503');
is($res->{headers}{'retry-after'}, '5', '... with Retry-After');
$res = $gw->post('{}', token => undef);
is($res->{status}, 503, 'ingest without a database and without token is 503');
is($res->{headers}{'retry-after'}, '5', '... with Retry-After');
like($res->{content}, qr/"error": "database unavailable"/, '... and says why');
my $m = $gw->metrics;
is($m->{'autoplay_gateway_database_up'}, 0, 'database_up is 0');
cmp_ok($m->{'autoplay_gateway_database_errors_total{kind="connection"}'},
	'>=', 1, 'connection errors are counted');
is($m->{'autoplay_gateway_requests_total{route="/ingest",status="503"}'},
	1, 'the 503 is counted');

# Flags win over the environment: AUTOPLAY_MAX_BODY=10 loses to --max-body
my $gw2 = AutoplayGateway->start(
	dsn => $dead_dsn,
	env => { AUTOPLAY_MAX_BODY => '10', AUTOPLAY_TOKEN => 'abc' },
	args => [ '--max-body', '1kB', '--pool', '1' ],
	name => 'precedence');
$res = $gw2->post('x' x 1000, token => 'abc');
is($res->{status}, 503, '1000 bytes pass --max-body 1kB');
$res = $gw2->post('x' x 1025, token => 'abc');
is($res->{status}, 413, '1025 bytes do not');

is($gw->stop, 0, 'SIGTERM: exit status 0');
is($gw2->stop('INT'), 0, 'SIGINT: exit status 0');
like($gw->log_content, qr/^autoplay-gateway: received SIGTERM, finishing 0 requests in flight\nautoplay-gateway: stopped\n\z/m,
	'stop is logged');

done_testing();
