using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SessionBuddy.LocalSystem.Hosting;

/// <summary>
/// The load balancer in front of several gateway replicas, as a deployment has one: each request goes to the
/// next replica in turn, except that a request carrying an <c>Mcp-Session-Id</c> goes to the replica that issued
/// it (learned from the response header, like a stick table on that header). A replica that refuses the
/// connection (killed) is skipped, as a balancer retries on a connect error; nothing reached it, so the retry
/// cannot apply a request twice.
/// </summary>
public sealed class GatewayFront(int port, IReadOnlyList<Func<Uri>> replicas) : IAsyncDisposable
{
    public const string SessionHeader = "Mcp-Session-Id";

    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer", "Host", "Content-Length",
    };

    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(1) })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };
    private readonly ConcurrentDictionary<string, int> _sessions = new();
    private WebApplication? _app;
    private int _next = -1;

    public Uri Endpoint => new($"http://127.0.0.1:{port}");

    /// <summary>Requests each replica answered (by replica index), so tests can see the load was spread.</summary>
    public ConcurrentDictionary<int, long> Served { get; } = new();

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(Endpoint.ToString().TrimEnd('/'));
        _app = builder.Build();
        _app.Run(ForwardAsync);
        await _app.StartAsync();
    }

    private async Task ForwardAsync(HttpContext context)
    {
        var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var session = context.Request.Headers[SessionHeader].ToString();
        var first = session.Length > 0 && _sessions.TryGetValue(session, out var owner) ? owner : (int)((uint)Interlocked.Increment(ref _next) % replicas.Count);

        for (var attempt = 0; ; attempt++)
        {
            var replica = (first + attempt) % replicas.Count;
            using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method),
                new Uri(replicas[replica](), context.Request.Path + context.Request.QueryString));
            if (body.Length > 0)
            {
                request.Content = new ByteArrayContent(body.ToArray());
            }
            foreach (var (name, values) in context.Request.Headers.Where(h => !HopByHop.Contains(h.Key)))
            {
                if (!request.Headers.TryAddWithoutValidation(name, values.ToArray()))
                {
                    request.Content?.Headers.TryAddWithoutValidation(name, values.ToArray());
                }
            }
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
            }
            catch (HttpRequestException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused } && attempt + 1 < replicas.Count)
            {
                continue;
            }
            catch (HttpRequestException) when (!context.Response.HasStarted)
            {
                context.Response.StatusCode = (int)HttpStatusCode.BadGateway;
                return;
            }
            using (response)
            {
                Served.AddOrUpdate(replica, 1, (_, n) => n + 1);
                if (response.Headers.TryGetValues(SessionHeader, out var issued))
                {
                    _sessions[issued.First()] = replica;
                }
                context.Response.StatusCode = (int)response.StatusCode;
                foreach (var (name, values) in response.Headers.Concat(response.Content.Headers).Where(h => !HopByHop.Contains(h.Key)))
                {
                    context.Response.Headers[name] = values.ToArray();
                }
                // Server-sent events must reach the client as they come, not when the stream ends.
                await using var stream = await response.Content.ReadAsStreamAsync(context.RequestAborted);
                var buffer = new byte[16 * 1024];
                int read;
                try
                {
                    while ((read = await stream.ReadAsync(buffer, context.RequestAborted)) > 0)
                    {
                        await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted);
                        await context.Response.Body.FlushAsync(context.RequestAborted);
                    }
                }
                catch (Exception ex) when (ex is IOException or HttpRequestException)
                {
                    // The replica died mid-response: the client sees its stream cut, as through a real balancer.
                    context.Abort();
                }
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _app, null) is { } app)
        {
            await app.StopAsync();
            await app.DisposeAsync();
            _http.Dispose();
        }
    }
}
