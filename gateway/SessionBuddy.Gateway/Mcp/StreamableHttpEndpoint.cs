using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace SessionBuddy.Gateway.Mcp;

/// <summary>
/// POST, GET and DELETE of the Streamable HTTP transport, driving the SDK's
/// <see cref="StreamableHttpServerTransport"/>. Requests on protocol 2026-07-28 and later carry
/// everything per request and are served statelessly (the 2.3 .NET client tries that first);
/// older revisions use the initialize handshake and an in-memory session (<see cref="McpSessionStore"/>).
/// Every refusal is a JSON-RPC error body with the matching HTTP status.
/// </summary>
internal sealed class StreamableHttpEndpoint(
    McpToolCatalog catalog,
    McpSessionStore sessions,
    HostValidation hostValidation,
    IOptions<McpEndpointOptions> options,
    IHostApplicationLifetime lifetime,
    IServiceProvider services,
    ILoggerFactory loggerFactory)
{
    private const string SessionIdHeader = "Mcp-Session-Id";
    private const string ProtocolVersionHeader = "MCP-Protocol-Version";
    private static readonly string[] SessionProtocolVersions = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];
    private static readonly string[] StatelessProtocolVersions = ["2026-07-28"];

    public async Task HandlePostAsync(HttpContext context)
    {
        if (!await IsAllowedAsync(context))
        {
            return;
        }

        var accept = context.Request.GetTypedHeaders().Accept;
        if (!accept.Any(a => a.MatchesMediaType("application/json")) || !accept.Any(a => a.MatchesMediaType("text/event-stream")))
        {
            await JsonRpcErrors.WriteAsync(context, StatusCodes.Status406NotAcceptable, JsonRpcErrors.ServerError,
                "Not Acceptable: the client must accept both application/json and text/event-stream.");
            return;
        }

        if (!context.Request.HasJsonContentType())
        {
            await JsonRpcErrors.WriteAsync(context, StatusCodes.Status415UnsupportedMediaType, JsonRpcErrors.ServerError,
                "Unsupported Media Type: the body must be application/json.");
            return;
        }

        var message = await JsonRpcRequestBody.ReadAsync(context, options.Value.MaxRequestBodyBytes);
        if (message is null)
        {
            return;
        }

        var requestId = message is JsonRpcRequest request ? request.Id : default;
        var version = context.Request.Headers[ProtocolVersionHeader].ToString();
        if (!await IsSupportedVersionAsync(context, version, requestId))
        {
            return;
        }

        if (version.Length > 0)
        {
            (message.Context ??= new()).ProtocolVersion = version;
        }

        if (StatelessProtocolVersions.Contains(version))
        {
            await ServeStatelessAsync(context, message);
        }
        else
        {
            await ServeInSessionAsync(context, message, requestId);
        }
    }

    public async Task HandleGetAsync(HttpContext context)
    {
        if (!await IsAllowedAsync(context) || !await IsSessionProtocolAsync(context))
        {
            return;
        }

        if (!context.Request.GetTypedHeaders().Accept.Any(a => a.MatchesMediaType("text/event-stream")))
        {
            await JsonRpcErrors.WriteAsync(context, StatusCodes.Status406NotAcceptable, JsonRpcErrors.ServerError,
                "Not Acceptable: the client must accept text/event-stream.");
            return;
        }

        if (await FindSessionAsync(context, default) is not { } session)
        {
            return;
        }

        using var lease = session.BeginRequest();
        if (lease is null)
        {
            await WriteSessionNotFoundAsync(context, default);
            return;
        }

        if (!session.TryOpenGetStream())
        {
            await JsonRpcErrors.WriteAsync(context, StatusCodes.Status400BadRequest, JsonRpcErrors.ServerError,
                "Bad Request: this session already has its GET stream; start a new session for another.");
            return;
        }

        context.Response.Headers[SessionIdHeader] = session.Id;
        StartEventStream(context);
        // The stream ends with the client, the session or the application, whichever goes first.
        using var streamEnd = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        try
        {
            await session.Transport.HandleGetRequestAsync(context.Response.Body, streamEnd.Token);
        }
        catch (OperationCanceledException) when (streamEnd.IsCancellationRequested)
        {
        }
    }

    public async Task HandleDeleteAsync(HttpContext context)
    {
        if (!await IsAllowedAsync(context) || !await IsSessionProtocolAsync(context))
        {
            return;
        }

        if (await FindSessionAsync(context, default) is { } session && !await sessions.RemoveAsync(session.Id))
        {
            await WriteSessionNotFoundAsync(context, default);
        }
    }

    private async Task ServeStatelessAsync(HttpContext context, JsonRpcMessage message)
    {
        var transport = new StreamableHttpServerTransport(loggerFactory) { Stateless = true };
        await using var server = McpServer.Create(transport, catalog.StatelessServerOptions, loggerFactory, context.RequestServices);
        // Tied to the HTTP request, so a client disconnect cancels the tool call.
        var running = server.RunAsync(context.RequestAborted);
        try
        {
            await ServePostAsync(context, transport, message, mapErrorStatus: true);
        }
        finally
        {
            await transport.DisposeAsync();
            try
            {
                await running;
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private async Task ServeInSessionAsync(HttpContext context, JsonRpcMessage message, RequestId requestId)
    {
        McpSession? session;
        if (context.Request.Headers[SessionIdHeader].ToString().Length == 0)
        {
            if (message is not JsonRpcRequest { Method: RequestMethods.Initialize })
            {
                await JsonRpcErrors.WriteAsync(context, StatusCodes.Status400BadRequest, JsonRpcErrors.ServerError,
                    "Bad Request: Mcp-Session-Id header is required; start a session with initialize " +
                    "(or use protocol 2026-07-28, which needs no session).", requestId);
                return;
            }

            session = await StartSessionAsync(context, requestId);
        }
        else
        {
            session = await FindSessionAsync(context, requestId);
        }

        if (session is null)
        {
            return;
        }

        using var lease = session.BeginRequest();
        if (lease is null)
        {
            await WriteSessionNotFoundAsync(context, requestId);
            return;
        }

        context.Response.Headers[SessionIdHeader] = session.Id;
        if (!await ServePostAsync(context, session.Transport, message, mapErrorStatus: false) && message is JsonRpcRequest request)
        {
            await CancelAsync(session, request.Id);
        }
    }

    private async Task<McpSession?> StartSessionAsync(HttpContext context, RequestId requestId)
    {
        var id = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(16));
        var transport = new StreamableHttpServerTransport(loggerFactory)
        {
            SessionId = id,
            // Tools run in the context of the POST that called them (trace parent, HttpContext).
            FlowExecutionContextFromRequests = true,
        };
        var session = new McpSession(id, transport, sessions.Clock);
        session.Start(McpServer.Create(transport, catalog.CreateServerOptions(), loggerFactory, services));
        if (await sessions.TryAddAsync(session))
        {
            return session;
        }

        await session.DisposeAsync();
        context.Response.Headers.RetryAfter = "5";
        await JsonRpcErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, JsonRpcErrors.ServerError,
            "Service Unavailable: too many active MCP sessions; retry later or use protocol 2026-07-28.", requestId);
        return null;
    }

    /// <summary>Returns false when the client went away before the response was complete.</summary>
    private static async Task<bool> ServePostAsync(HttpContext context, StreamableHttpServerTransport transport,
        JsonRpcMessage message, bool mapErrorStatus)
    {
        // Per-request revisions expect some JSON-RPC errors as HTTP statuses; the transport defers
        // its header flush and reports the first message so the status can still be chosen.
        Func<JsonRpcMessage?, ValueTask>? onResponseStarting = !mapErrorStatus ? null : first =>
        {
            if (first is JsonRpcError { Error: { } error } && !context.Response.HasStarted)
            {
                context.Response.StatusCode = (McpErrorCode)error.Code switch
                {
                    McpErrorCode.MethodNotFound => StatusCodes.Status404NotFound,
                    McpErrorCode.MissingRequiredClientCapability or McpErrorCode.UnsupportedProtocolVersion
                        or McpErrorCode.HeaderMismatch => StatusCodes.Status400BadRequest,
                    _ => context.Response.StatusCode,
                };
            }

            return default;
        };

        StartEventStream(context);
        try
        {
            if (!await transport.HandlePostRequestAsync(message, context.Response.Body, onResponseStarting, context.RequestAborted))
            {
                // A notification or a response to the server: accepted, nothing to stream.
                context.Response.Headers.ContentType = default;
                context.Response.StatusCode = StatusCodes.Status202Accepted;
            }

            return true;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return false;
        }
        catch (OperationCanceledException) when (!context.Response.HasStarted)
        {
            // The session closed (DELETE, idle timeout, shutdown) while this request was starting.
            context.Response.Headers.ContentType = default;
            await WriteSessionNotFoundAsync(context, message is JsonRpcRequest request ? request.Id : default);
            return true;
        }
    }

    /// <summary>
    /// A session's server outlives the POST, so a client that disconnects mid-call is treated as
    /// having sent notifications/cancelled for it: the tool's CancellationToken fires.
    /// </summary>
    private static async Task CancelAsync(McpSession session, RequestId requestId)
    {
        JsonNode? id = requestId.Id switch { string s => s, long l => l, _ => null };
        var cancelled = new JsonRpcNotification
        {
            Method = NotificationMethods.CancelledNotification,
            Params = new JsonObject { ["requestId"] = id, ["reason"] = "client disconnected" },
        };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await session.Transport.HandlePostRequestAsync(cancelled, Stream.Null, timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // The session is closing anyway, which cancels its calls.
        }
    }

    private async Task<bool> IsAllowedAsync(HttpContext context)
    {
        if (hostValidation.IsAllowed(context.Request, out var reason))
        {
            return true;
        }

        await JsonRpcErrors.WriteAsync(context, StatusCodes.Status403Forbidden, JsonRpcErrors.ServerError, reason);
        return false;
    }

    private static async Task<bool> IsSupportedVersionAsync(HttpContext context, string version, RequestId requestId)
    {
        if (version.Length == 0 || SessionProtocolVersions.Contains(version) || StatelessProtocolVersions.Contains(version))
        {
            return true;
        }

        await JsonRpcErrors.WriteAsync(context, StatusCodes.Status400BadRequest, new JsonRpcErrorDetail
        {
            Code = (int)McpErrorCode.UnsupportedProtocolVersion,
            Message = $"Bad Request: MCP-Protocol-Version '{version}' is not supported.",
            Data = new JsonObject
            {
                ["supported"] = new JsonArray([.. SessionProtocolVersions.Concat(StatelessProtocolVersions).Select(v => (JsonNode)v)]),
                ["requested"] = version,
            },
        }, requestId);
        return false;
    }

    /// <summary>GET and DELETE only exist for sessions, which 2026-07-28 and later do not have.</summary>
    private static async Task<bool> IsSessionProtocolAsync(HttpContext context)
    {
        var version = context.Request.Headers[ProtocolVersionHeader].ToString();
        if (!await IsSupportedVersionAsync(context, version, default))
        {
            return false;
        }

        if (!StatelessProtocolVersions.Contains(version))
        {
            return true;
        }

        context.Response.Headers.Allow = HttpMethods.Post;
        await JsonRpcErrors.WriteAsync(context, StatusCodes.Status405MethodNotAllowed, JsonRpcErrors.ServerError,
            $"Method Not Allowed: protocol {version} has no sessions; use POST.");
        return false;
    }

    private async Task<McpSession?> FindSessionAsync(HttpContext context, RequestId requestId)
    {
        var id = context.Request.Headers[SessionIdHeader].ToString();
        if (id.Length == 0)
        {
            await JsonRpcErrors.WriteAsync(context, StatusCodes.Status400BadRequest, JsonRpcErrors.ServerError,
                "Bad Request: Mcp-Session-Id header is required.", requestId);
            return null;
        }

        if (sessions.TryGet(id, out var session))
        {
            return session;
        }

        await WriteSessionNotFoundAsync(context, requestId);
        return null;
    }

    private static Task WriteSessionNotFoundAsync(HttpContext context, RequestId requestId) =>
        JsonRpcErrors.WriteAsync(context, StatusCodes.Status404NotFound, JsonRpcErrors.SessionNotFound,
            "Session not found: it ended or expired; initialize a new one.", requestId);

    private static void StartEventStream(HttpContext context)
    {
        context.Response.Headers.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache,no-store";
        // Proxies and compression must not hold events back.
        context.Response.Headers.ContentEncoding = "identity";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        context.Features.GetRequiredFeature<IHttpResponseBodyFeature>().DisableBuffering();
    }
}
