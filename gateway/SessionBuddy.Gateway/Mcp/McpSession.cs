using ModelContextProtocol.Server;

namespace SessionBuddy.Gateway.Mcp;

/// <summary>
/// One initialize-handshake session: its transport and server, running until DELETE, idle
/// timeout or shutdown. Requests in flight (an open GET stream included) keep it from idling out.
/// </summary>
internal sealed class McpSession(string id, StreamableHttpServerTransport transport, TimeProvider clock) : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _lifetime = new();
    private McpServer? _server;
    private Task _running = Task.CompletedTask;
    private int _activeRequests;
    private long _lastActivity = clock.GetTimestamp();
    private bool _disposed;
    private int _getStreamOpened;

    public string Id => id;
    public StreamableHttpServerTransport Transport => transport;

    public void Start(McpServer server)
    {
        _server = server;
        _running = server.RunAsync(_lifetime.Token);
    }

    /// <summary>Marks a request in flight; null when the session was closed meanwhile.</summary>
    public IDisposable? BeginRequest()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return null;
            }

            _activeRequests++;
            return new RequestLease(this);
        }
    }

    /// <summary>The SDK transport serves one standalone GET stream per session.</summary>
    public bool TryOpenGetStream() => Interlocked.Exchange(ref _getStreamOpened, 1) == 0;

    public bool IsIdleFor(TimeSpan timeout)
    {
        lock (_lock)
        {
            return _activeRequests == 0 && clock.GetElapsedTime(_lastActivity) >= timeout;
        }
    }

    public long LastActivity
    {
        get { lock (_lock) { return _activeRequests == 0 ? _lastActivity : long.MaxValue; } }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        // Completing the transport first lets the server drain; cancelling stops in-flight tools.
        await transport.DisposeAsync();
        await _lifetime.CancelAsync();
        try
        {
            await _running;
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            if (_server is not null)
            {
                await _server.DisposeAsync();
            }

            _lifetime.Dispose();
        }
    }

    private sealed class RequestLease(McpSession session) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                lock (session._lock)
                {
                    session._activeRequests--;
                    session._lastActivity = session.Clock.GetTimestamp();
                }
            }
        }
    }

    private TimeProvider Clock => clock;
}
