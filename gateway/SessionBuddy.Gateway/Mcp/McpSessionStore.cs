using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;

namespace SessionBuddy.Gateway.Mcp;

/// <summary>
/// Sessions of initialize-handshake clients, held in this process with an idle timeout and a cap.
/// Scaled out, the gateway therefore needs session affinity (route by the Mcp-Session-Id header)
/// for these clients; stateless requests (protocol 2026-07-28 and later) can go to any replica.
/// </summary>
internal sealed partial class McpSessionStore(IOptions<McpEndpointOptions> options, ILogger<McpSessionStore> logger)
    : BackgroundService
{
    private readonly ConcurrentDictionary<string, McpSession> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _admission = new();

    public TimeProvider Clock { get; } = TimeProvider.System;

    public bool TryGet(string id, [NotNullWhen(true)] out McpSession? session) => _sessions.TryGetValue(id, out session);

    /// <summary>Adds a session, closing the least recently used idle one at the cap; false if all are busy.</summary>
    public async ValueTask<bool> TryAddAsync(McpSession session)
    {
        McpSession? evicted = null;
        lock (_admission)
        {
            if (_sessions.Count >= options.Value.MaxSessions)
            {
                evicted = _sessions.Values.Where(s => s.LastActivity != long.MaxValue).MinBy(s => s.LastActivity);
                if (evicted is null || !_sessions.TryRemove(evicted.Id, out _))
                {
                    return false;
                }
            }

            _sessions[session.Id] = session;
        }

        if (evicted is not null)
        {
            LogEvicted(evicted.Id, options.Value.MaxSessions);
            await evicted.DisposeAsync();
        }

        return true;
    }

    public async ValueTask<bool> RemoveAsync(string id)
    {
        if (!_sessions.TryRemove(id, out var session))
        {
            return false;
        }

        await session.DisposeAsync();
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var timeout = options.Value.SessionIdleTimeout;
        var period = TimeSpan.FromTicks(Math.Clamp(timeout.Ticks / 4, TimeSpan.TicksPerMillisecond * 100, TimeSpan.TicksPerSecond * 5));
        using var timer = new PeriodicTimer(period, Clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                foreach (var session in _sessions.Values.Where(s => s.IsIdleFor(timeout)))
                {
                    LogIdle(session.Id, timeout);
                    await RemoveAsync(session.Id);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await Task.WhenAll(_sessions.Keys.Select(id => RemoveAsync(id).AsTask()));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Closing MCP session {SessionId}, idle for {IdleTimeout}.")]
    private partial void LogIdle(string sessionId, TimeSpan idleTimeout);

    [LoggerMessage(Level = LogLevel.Information, Message = "Closing idle MCP session {SessionId} to stay within {MaxSessions} sessions.")]
    private partial void LogEvicted(string sessionId, int maxSessions);
}
