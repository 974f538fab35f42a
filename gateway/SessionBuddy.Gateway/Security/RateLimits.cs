using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using SessionBuddy.Gateway.Mcp;
using SessionBuddy.ServiceDefaults.Configuration;

namespace SessionBuddy.Gateway.Security;

public static class RateLimits
{
    public static IServiceCollection AddGatewayRateLimits(this IServiceCollection services, string mcpPath = "/mcp")
    {
        services.AddValidatedOptions<RateLimitOptions>(RateLimitOptions.SectionName);
        services.AddSingleton<WorkerCallLimit>();
        services.AddRateLimiter(_ => { });
        services.AddOptions<Microsoft.AspNetCore.RateLimiting.RateLimiterOptions>().Configure<IOptions<RateLimitOptions>>((limiter, options) =>
        {
            var settings = options.Value;
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<HttpContext, string>(context =>
                    !context.Request.Path.StartsWithSegments(mcpPath) || settings.PerTokenPerSecond == 0 || context.User.Identity?.IsAuthenticated != true
                        ? RateLimitPartition.GetNoLimiter("")
                        : Bucket("token:" + context.Request.Headers.Authorization, settings.PerTokenPerSecond, settings.PerTokenBurst)),
                PartitionedRateLimiter.Create<HttpContext, string>(context =>
                    !context.Request.Path.StartsWithSegments(mcpPath) || settings.PerAddressPerSecond == 0
                        ? RateLimitPartition.GetNoLimiter("")
                        : Bucket("address:" + context.Connection.RemoteIpAddress, settings.PerAddressPerSecond, settings.PerAddressBurst)));
            limiter.OnRejected = async (rejected, cancellationToken) =>
            {
                var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 1;
                rejected.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await JsonRpcErrors.WriteAsync(rejected.HttpContext, StatusCodes.Status429TooManyRequests, JsonRpcErrors.ServerError,
                    $"Too Many Requests: retry after {seconds} s.");
            };
        });
        return services;
    }

    private static RateLimitPartition<string> Bucket(string key, int perSecond, int burst) =>
        RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = perSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
}

/// <summary>At most RateLimits:WorkerCallsPerCaller calls of worker tools in flight per caller (token subject, or client address when open).</summary>
public sealed class WorkerCallLimit(IOptions<RateLimitOptions> options) : IDisposable
{
    private readonly int _permits = options.Value.WorkerCallsPerCaller;

    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(caller =>
        RateLimitPartition.GetConcurrencyLimiter(caller, _ => new ConcurrencyLimiterOptions
        {
            PermitLimit = options.Value.WorkerCallsPerCaller,
            QueueLimit = 0,
        }));

    public static McpRequestHandler<CallToolRequestParams, CallToolResult> Filter(
        McpRequestHandler<CallToolRequestParams, CallToolResult> next) => async (request, cancellationToken) =>
    {
        if (request.Params is not { } call || request.Services!.GetService<WorkerCallLimit>() is not { } limit
            || request.Services!.GetRequiredService<ToolRuleTable>().Find(call.Name) is not { RunsWorkers: true })
        {
            return await next(request, cancellationToken);
        }
        var caller = Caller.From(request.User);
        var key = caller.IsOpen
            ? "address:" + request.Services!.GetService<IHttpContextAccessor>()?.HttpContext?.Connection.RemoteIpAddress
            : "subject:" + caller.Subject;
        using var lease = limit._limiter.AttemptAcquire(key);
        return lease.IsAcquired
            ? await next(request, cancellationToken)
            : GatewayTool.Error($"Too many worker calls in flight for this caller (limit {limit._permits}); retry when one finishes.");
    };

    public void Dispose() => _limiter.Dispose();
}
