#-------------------------------------------------------------------------
#
# AutoplayGateway.pm
#	  Test helpers for autoplay-gateway: start and stop it, talk HTTP to it.
#
# The gateway under test is the program named by $ENV{AUTOPLAY_GATEWAY}
# (an absolute path).  Each gateway listens on 127.0.0.1 port 0, so the
# kernel picks a free port (unless a test restarts one on the port it
# had); the port is read back from the gateway's "listening on" log line.
# Logs go to PostgreSQL::Test::Utils' log directory.  Gateways still
# running when the test script ends are killed.
#
# Two ways to talk to a gateway:
#	$gw->request(...)			HTTP::Tiny, for ordinary requests
#	$gw->raw_connect(...)		a bare socket (AutoplayGateway::Raw), for
#								chunked, 100-continue, slow or cut uploads
#
# t/AutoplayGateway.pm
#
#-------------------------------------------------------------------------

package AutoplayGateway;

use strict;
use warnings;

use Carp;
use HTTP::Tiny;
use IO::Select;
use IO::Socket::INET;
use POSIX qw(WNOHANG strftime);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep time);

# PostgreSQL::Test::Cluster's init runs "$PG_REGRESS --config-auth";
# outside PostgreSQL's own build tree nothing sets it, so find pg_regress
# beside PGXS, as Debian's postgresql-server-dev packages install it
BEGIN
{
	if (!$ENV{PG_REGRESS})
	{
		my $pgxs = `pg_config --pgxs`;
		chomp $pgxs;
		(my $regress = $pgxs) =~ s{/src/makefiles/pgxs\.mk$}{/src/test/regress/pg_regress};
		$ENV{PG_REGRESS} = $regress if -x $regress;
	}
}

# Tokens used by most tests
our $TOKEN = 'tok-A-3f9c2e71d4b8';
our $TOKEN2 = 'tok-B-8a1d5c6e0f27';

# Every gateway started, to kill at the end
my @started;

# The program under test
sub program
{
	my $path = $ENV{AUTOPLAY_GATEWAY}
	  or BAIL_OUT('AUTOPLAY_GATEWAY must name the autoplay-gateway program');
	BAIL_OUT("AUTOPLAY_GATEWAY \"$path\" is not executable") unless -x $path;
	return $path;
}

# Create the extension and the login role "gw" the gateway connects as.
sub setup_database
{
	my ($node) = @_;

	$node->safe_psql('postgres',
		    'CREATE EXTENSION autoplay; '
		  . 'CREATE ROLE gw LOGIN IN ROLE autoplay_writer;');
	return;
}

# A new cluster named $name, started, with the extension and role gw.
sub database_node
{
	my ($name) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);

	$node->init;
	$node->start;
	setup_database($node);
	return $node;
}

# The libpq connection string of the database on $node, as role gw.
sub dsn
{
	my ($node) = @_;
	return sprintf('host=%s port=%d dbname=postgres user=gw',
		$node->host, $node->port);
}

# Start a gateway.  Options:
#	node => $node		database (else dsn => "..." must be given)
#	dsn => "..."		libpq connection string
#	tokens => [...]		written to a token file given with --token-file
#	env => {...}		extra environment variables
#	args => [...]		extra command-line arguments
#	name => "..."		log file name part
#	wait_db => 1		wait until the gateway has connected (default 1
#						when node is given)
#	port => N			listen on this port of 127.0.0.1 (default 0: any
#						free port), e.g. to restart one where it was
sub start
{
	my ($class, %opt) = @_;
	my $name = $opt{name} // 'gateway';
	my $self = bless {
		name => $name,
		log => "$PostgreSQL::Test::Utils::log_path/${name}_" . scalar(@started) . '.log',
		tokens_file => undef,
	}, $class;
	my @cmd = (program(), '--listen', '127.0.0.1:' . ($opt{port} // 0));

	# Where the database is
	push @cmd, '--dsn', ($opt{dsn} // dsn($opt{node}));

	# The token file
	if ($opt{tokens})
	{
		$self->{tokens_file} = PostgreSQL::Test::Utils::tempdir() . '/tokens';
		$self->write_tokens(@{ $opt{tokens} });
		push @cmd, '--token-file', $self->{tokens_file};
	}
	push @cmd, @{ $opt{args} // [] };

	$self->_spawn(\@cmd, $opt{env} // {});
	push @started, $self;

	# The port, from the log; then, if asked, the first connection
	$self->{port} = $self->_wait_port();
	$self->wait_for_log(qr/connected to database/)
	  if ($opt{wait_db} // defined $opt{node});
	return $self;
}

# Fork and exec the gateway with stdout and stderr to its log.
sub _spawn
{
	my ($self, $cmd, $env) = @_;
	my $pid;

	# A log left by an earlier run must not be read as this one's
	unlink($self->{log});
	$pid = fork();
	croak "could not fork: $!" unless defined $pid;
	if ($pid == 0)
	{
		open(STDOUT, '>', $self->{log}) or POSIX::_exit(126);
		open(STDERR, '>&', \*STDOUT) or POSIX::_exit(126);
		delete $ENV{$_} for grep { /^AUTOPLAY_/ && $_ ne 'AUTOPLAY_GATEWAY' } keys %ENV;
		$ENV{$_} = $env->{$_} for keys %$env;
		exec(@$cmd) or POSIX::_exit(127);
	}
	$self->{pid} = $pid;
	note("started gateway $self->{name}, pid $pid: @$cmd");
	return;
}

# Wait for the "listening on 127.0.0.1:PORT" line; BAIL_OUT if the gateway
# exits or is silent for 15 s.
sub _wait_port
{
	my ($self) = @_;
	my $deadline = time + 15;

	while (time < $deadline)
	{
		my $log = $self->log_content;
		return $1 if $log =~ /listening on 127\.0\.0\.1:(\d+)/;
		if (waitpid($self->{pid}, WNOHANG) == $self->{pid})
		{
			$self->{exit} = $? >> 8;
			$self->{pid} = undef;
			BAIL_OUT("gateway exited at start:\n$log");
		}
		usleep(20_000);
	}
	BAIL_OUT("gateway did not start in time:\n" . $self->log_content);
}

# Replace the token file's contents with one token a line.
sub write_tokens
{
	my ($self, @tokens) = @_;

	open(my $fh, '>', $self->{tokens_file}) or die "could not write tokens: $!";
	print $fh "# tokens for the gateway test\n";
	print $fh "$_\n" for @tokens;
	close($fh);
	chmod(0600, $self->{tokens_file});
	return;
}

sub port { return $_[0]->{port}; }
sub pid { return $_[0]->{pid}; }

# The gateway's resident memory in kB: now (VmRSS), or with $peak true the
# most it has had (VmHWM); undef when it is not running.
sub rss_kb
{
	my ($self, $peak) = @_;
	my $field = $peak ? 'VmHWM' : 'VmRSS';
	my $status;

	return undef unless $self->{pid};
	$status = eval { slurp_file("/proc/$self->{pid}/status") } // '';
	return $status =~ /^$field:\s+(\d+) kB/m ? $1 : undef;
}

# Everything the gateway has logged so far.
sub log_content
{
	my ($self) = @_;
	return -e $self->{log} ? slurp_file($self->{log}) : '';
}

# Wait up to $timeout s (default 15) for the log to match $re; returns
# true when it did.
sub wait_for_log
{
	my ($self, $re, $timeout) = @_;
	my $deadline = time + ($timeout // 15);

	while (time < $deadline)
	{
		return 1 if $self->log_content =~ $re;
		usleep(20_000);
	}
	return 0;
}

# Send a signal.
sub signal
{
	my ($self, $sig) = @_;
	kill($sig, $self->{pid}) if $self->{pid};
	return;
}

# Stop with SIGTERM (or $sig) and return the exit status, or undef when it
# did not exit within 30 s (it is then killed).
sub stop
{
	my ($self, $sig) = @_;

	return $self->{exit} unless $self->{pid};
	kill($sig // 'TERM', $self->{pid});
	return $self->wait_exit(30);
}

# Wait up to $timeout s for the gateway to exit; its exit status, or undef
# (after SIGKILL) when it did not.
sub wait_exit
{
	my ($self, $timeout) = @_;
	my $deadline = time + $timeout;

	while (time < $deadline)
	{
		if (waitpid($self->{pid}, WNOHANG) == $self->{pid})
		{
			$self->{exit} = ($? & 127) ? 128 + ($? & 127) : $? >> 8;
			$self->{pid} = undef;
			return $self->{exit};
		}
		usleep(20_000);
	}
	kill('KILL', $self->{pid});
	waitpid($self->{pid}, 0);
	$self->{pid} = undef;
	return undef;
}

# An HTTP request with HTTP::Tiny on a new connection.  Options:
#	token => "..."			bearer token (default $TOKEN; undef for none)
#	body => "..."			request body
#	content_type => "..."	(default application/json when there is a
#							body; undef for none)
#	headers => {...}		more headers
#	local_addr => "..."		source address, e.g. 127.0.0.2
#	http => $tiny			an HTTP::Tiny to use (for keep-alive)
# Returns HTTP::Tiny's response hash (status 599 when no answer came).
sub request
{
	my ($self, $method, $path, %opt) = @_;
	my %headers = %{ $opt{headers} // {} };
	my $http = $opt{http} // HTTP::Tiny->new(
		timeout => 30,
		keep_alive => 0,
		$opt{local_addr} ? (local_address => $opt{local_addr}) : ());
	my $token = exists $opt{token} ? $opt{token} : $TOKEN;

	$headers{Authorization} = "Bearer $token" if defined $token;
	if (defined $opt{body})
	{
		my $type =
		  exists $opt{content_type} ? $opt{content_type} : 'application/json';
		$headers{'Content-Type'} = $type if defined $type;
	}
	return $http->request($method, "http://127.0.0.1:$self->{port}$path",
		{
			headers => \%headers,
			defined $opt{body} ? (content => $opt{body}) : (),
		});
}

# POST a body to /ingest (or $opt{path}); same options as request.
sub post
{
	my ($self, $body, %opt) = @_;
	my $path = delete $opt{path} // '/ingest';
	return $self->request('POST', $path, body => $body, %opt);
}

# POST on a bare connection with exactly the headers given (HTTP::Tiny
# always adds a Content-Type): %opt has path (default /ingest), token
# (default $TOKEN) and headers => [ "Name: value", ... ].  Returns the
# response as AutoplayGateway::Raw::read_response does.
sub raw_post
{
	my ($self, $body, %opt) = @_;
	my $path = $opt{path} // '/ingest';
	my $token = exists $opt{token} ? $opt{token} : $TOKEN;
	my @headers = ("Host: 127.0.0.1:$self->{port}", 'Connection: close',
		'Content-Length: ' . length($body), @{ $opt{headers} // [] });
	my $conn = $self->raw_connect;

	push @headers, "Authorization: Bearer $token" if defined $token;
	$conn->send_bytes("POST $path HTTP/1.1\r\n"
		  . join('', map { "$_\r\n" } @headers)
		  . "\r\n$body");
	my $res = $conn->read_response(30);
	$conn->close;
	return $res;
}

# GET /metrics, parsed into { 'name{labels}' => value }.
sub metrics
{
	my ($self) = @_;
	my $res = $self->request('GET', '/metrics', token => undef);
	my %m;

	die "GET /metrics answered $res->{status}" unless $res->{status} == 200;
	for my $line (split /\n/, $res->{content})
	{
		next if $line =~ /^#/;
		$m{$1} = $2 if $line =~ /^(\S+) (\S+)$/;
	}
	return \%m;
}

# Open a bare connection; %opt may give local_addr.
sub raw_connect
{
	my ($self, %opt) = @_;
	return AutoplayGateway::Raw->new($self->{port}, %opt);
}

# A valid click as JSON, distinct for each $n (session and time differ).
sub click_json
{
	my ($n, %extra) = @_;
	my $t = 1761056254 + $n;
	my $ts = strftime('%Y-%m-%dT%H:%M:%S', gmtime($t)) . '.073Z';
	my $json = sprintf(
		'{"target_text": "Button %d", "element_name": "button-%d", '
		  . '"page_url": "https://app.example.com/reports/%d", '
		  . '"timestamp": "%s", "timestamp_unix": %d, '
		  . '"user_id": "user-%d", "session_id": "3350978756809951%03d%%3A8226444501427639%03d"',
		$n, $n, $n, $ts, $t, $n % 7, $n % 1000, $n % 13);
	$json .= ", \"$_\": \"$extra{$_}\"" for sort keys %extra;
	return $json . '}';
}

# The key click_json($n) is stored under: "session_key occurred_unix", as
# in "3350978756809951001:8226444501427639001 1761056255".
sub click_key
{
	my ($n) = @_;
	my $json = click_json($n);
	my ($d, $i) = $json =~ /"session_id": "(\d+)%3A(\d+)"/;
	my ($t) = $json =~ /"timestamp_unix": (\d+)/;
	return "$d:$i $t";
}

# Kill what is left when the script ends.
END
{
	for my $gw (@started)
	{
		next unless $gw->{pid};
		kill('KILL', $gw->{pid});
		waitpid($gw->{pid}, 0);
	}
}

#-------------------------------------------------------------------------
# AutoplayGateway::Raw: one bare TCP connection to a gateway.
#-------------------------------------------------------------------------

package AutoplayGateway::Raw;

use strict;
use warnings;

use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw(time);

sub new
{
	my ($class, $port, %opt) = @_;
	my $sock = IO::Socket::INET->new(
		PeerAddr => '127.0.0.1',
		PeerPort => $port,
		Proto => 'tcp',
		$opt{local_addr} ? (LocalAddr => $opt{local_addr}) : (),
		Timeout => 10) or die "could not connect to 127.0.0.1:$port: $!";
	$sock->autoflush(1);
	return bless { sock => $sock, buf => '', eof => 0 }, $class;
}

# Send bytes; false when the peer has gone.
sub send_bytes
{
	my ($self, $bytes) = @_;
	local $SIG{PIPE} = 'IGNORE';
	my $off = 0;

	while ($off < length $bytes)
	{
		my $n = syswrite($self->{sock}, $bytes, length($bytes) - $off, $off);
		return 0 unless $n;
		$off += $n;
	}
	return 1;
}

# Read more into the buffer, waiting up to $wait s; false on EOF, error or
# timeout.
sub _fill
{
	my ($self, $wait) = @_;
	my $sel = IO::Select->new($self->{sock});

	return 0 if $self->{eof};
	return 0 unless $sel->can_read($wait);
	my $n = sysread($self->{sock}, $self->{buf}, 65536, length $self->{buf});
	$self->{eof} = 1 unless $n;
	return $n ? 1 : 0;
}

# Read one response (interim 100 Continue included), waiting up to
# $timeout s (default 10).  Returns { status, headers => {lowercase name
# => value}, body }, or undef when none came whole.
sub read_response
{
	my ($self, $timeout) = @_;
	my $deadline = time + ($timeout // 10);

	# The head
	while ($self->{buf} !~ /\r\n\r\n/)
	{
		return undef if time > $deadline;
		$self->_fill(0.05) or ($self->{eof} and return undef);
	}
	$self->{buf} =~ s/^(.*?)\r\n\r\n//s;
	my ($status_line, @lines) = split /\r\n/, $1;
	my ($status) = $status_line =~ m{^HTTP/1\.[01] (\d{3})}
	  or return undef;
	my %h = map { /^([^:]+):\s*(.*)$/ ? (lc($1) => $2) : () } @lines;

	# The body, by Content-Length (the gateway always sends one)
	my $len = $status == 100 ? 0 : ($h{'content-length'} // 0);
	while (length($self->{buf}) < $len)
	{
		return undef if time > $deadline;
		$self->_fill(0.05) or ($self->{eof} and return undef);
	}
	my $body = substr($self->{buf}, 0, $len, '');
	return { status => $status, headers => \%h, body => $body };
}

# Whether something (an answer, or EOF) can be read within $wait s.
sub readable
{
	my ($self, $wait) = @_;

	return 1 if length $self->{buf} || $self->{eof};
	return IO::Select->new($self->{sock})->can_read($wait) ? 1 : 0;
}

# Whether the peer closes the connection within $timeout s.
sub closed_within
{
	my ($self, $timeout) = @_;
	my $deadline = time + $timeout;

	while (time < $deadline)
	{
		$self->_fill(0.05);
		return 1 if $self->{eof};
	}
	return 0;
}

# Half-close: send EOF, as a client does that has no more to send, and
# keep reading.
sub shutdown_write
{
	my ($self) = @_;
	shutdown($self->{sock}, 1);
	return;
}

sub close
{
	my ($self) = @_;
	close($self->{sock});
	return;
}

1;
