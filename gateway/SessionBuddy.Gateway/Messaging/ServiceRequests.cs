using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.Options;
using ModelContextProtocol;
using SessionBuddy.Contracts;

namespace SessionBuddy.Gateway.Messaging;

/// <summary>
/// Sends a tool's request to the owning service over the bus and turns the reply into the tool's
/// result, a <see cref="RequestRejected"/> into a tool error naming the argument, and silence into
/// a retryable "unavailable" error after the configured attempts.
/// </summary>
public sealed partial class ServiceRequests(
    IClientFactory clients, IOptions<GatewayOptions> options, ILogger<ServiceRequests> logger)
{
    // Request clients are thread-safe and reusable; one per request type for the life of the bus.
    private readonly ConcurrentDictionary<Type, object> _clients = new();

    public async Task<TResult> SendAsync<TRequest, TResult>(TRequest request, CancellationToken cancellationToken)
        where TRequest : class
        where TResult : class
    {
        var settings = options.Value;
        var client = (IRequestClient<TRequest>)_clients.GetOrAdd(typeof(TRequest),
            _ => clients.CreateRequestClient<TRequest>(RequestTimeout.After(ms: (int)settings.RequestTimeout.TotalMilliseconds)));
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // The same request object (and so the same operation id) is sent on every attempt. Requests
                // are not persisted by the broker (AddServiceBus reliableSends: false): one lost with it is
                // retried here, like one that timed out.
                var response = await client.GetResponse<TResult, RequestRejected>(request, cancellationToken);
                if (response.Is(out Response<TResult>? result))
                {
                    return result.Message;
                }
                response.Is(out Response<RequestRejected>? rejected);
                throw new McpException(rejected!.Message.Message);
            }
            catch (RequestTimeoutException) when (attempt < settings.RequestAttempts)
            {
                LogRetrying(typeof(TRequest).Name, attempt);
            }
            catch (RequestTimeoutException)
            {
                throw new McpException(
                    $"The service handling {typeof(TRequest).Name} did not answer within {settings.RequestTimeout.TotalSeconds:0}s " +
                    $"({settings.RequestAttempts} attempts); it may be restarting. Retry the call.");
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "{Request} timed out (attempt {Attempt}); retrying with the same operation id")]
    private partial void LogRetrying(string request, int attempt);
}
