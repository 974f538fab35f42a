using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using SessionBuddy.AkoshaSync.Hub;

namespace SessionBuddy.AkoshaSync.Push;

/// <summary>The hub could not be reached or would not take any batch (5xx, timeouts, 401/403, 429): no item is to blame.</summary>
public sealed class HubUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Sends one batch to the hub over HTTP through a Polly pipeline: a few jittered exponential retries, then a
/// circuit breaker that opens after exactly Akosha:CircuitFailureThreshold consecutive failed requests and
/// half-opens after Akosha:CircuitBreakDuration (<see cref="ConsecutiveFailureCircuitBreaker"/>).
/// Refusals of the batch as a whole (4xx other than auth, timeout and throttling) are answered as a refusal of
/// every item, so they count against the items' attempts rather than the circuit.
/// </summary>
public sealed class HubClient
{
    public const string HttpClientName = "akosha-hub";

    private readonly IHttpClientFactory _httpClients;
    private readonly AkoshaOptions _options;
    private readonly ConsecutiveFailureCircuitBreaker _circuit;
    private readonly ResiliencePipeline _pipeline;

    public HubClient(IHttpClientFactory httpClients, IOptions<AkoshaOptions> options)
        : this(httpClients, options, TimeProvider.System)
    {
    }

    public HubClient(IHttpClientFactory httpClients, IOptions<AkoshaOptions> options, TimeProvider time)
    {
        _httpClients = httpClients;
        _options = options.Value;
        _circuit = new ConsecutiveFailureCircuitBreaker(_options.CircuitFailureThreshold, _options.CircuitBreakDuration, IsTransient, time);
        var builder = new ResiliencePipelineBuilder();
        if (_options.RequestRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
                MaxRetryAttempts = _options.RequestRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.RetryBaseDelay,
                MaxDelay = _options.RetryMaxDelay,
            });
        }
        _pipeline = builder
            .AddStrategy(_ => _circuit)
            .AddTimeout(_options.RequestTimeout)
            .Build();
    }

    /// <summary>What the retries and the circuit count as a failed request: the hub unreachable, failing or too slow.</summary>
    private static bool IsTransient(Exception exception) =>
        exception is HttpRequestException or HubUnavailableException or TimeoutRejectedException;

    public string CircuitState => _circuit.State switch
    {
        Polly.CircuitBreaker.CircuitState.Open => AkoshaCircuitStates.Open,
        Polly.CircuitBreaker.CircuitState.HalfOpen => AkoshaCircuitStates.HalfOpen,
        Polly.CircuitBreaker.CircuitState.Isolated => AkoshaCircuitStates.Isolated,
        _ => AkoshaCircuitStates.Closed,
    };

    /// <summary>The hub's answer per item; throws when the hub is unavailable (after retries) or the circuit is open.</summary>
    public async Task<IReadOnlyList<PushItemOutcome>> SendAsync(PushBatch batch, CancellationToken ct) =>
        await _pipeline.ExecuteAsync(async token =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(_options.Endpoint!.TrimEnd('/') + "/"), HubWire.ResultsPath.TrimStart('/')))
            {
                Content = JsonContent.Create(batch, options: HubWire.Json),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.ApiKey ?? "");
            request.Headers.Add("Idempotency-Key", BatchKey(batch));
            using var response = await _httpClients.CreateClient(HttpClientName).SendAsync(request, token);
            if (response.IsSuccessStatusCode)
            {
                var reply = await response.Content.ReadFromJsonAsync<PushBatchReply>(HubWire.Json, token);
                return reply?.Items ?? throw new HubUnavailableException("the hub answered without item outcomes");
            }
            var body = await response.Content.ReadAsStringAsync(token);
            var reason = $"hub answered {(int)response.StatusCode} {response.ReasonPhrase}: {(body.Length <= 300 ? body : body[..300])}";
            if ((int)response.StatusCode >= 500 || response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
                or HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or HttpStatusCode.NotFound)
            {
                throw new HubUnavailableException(reason);
            }
            return [.. batch.Items.Select(i => new PushItemOutcome(i.IdempotencyKey, HubWire.Outcomes.Rejected, reason))];
        }, ct);

    /// <summary>The same items give the same key, so the hub (or a proxy) can recognise a re-sent batch.</summary>
    private static string BatchKey(PushBatch batch) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(batch.SystemId + "\n" + string.Join('\n', batch.Items.Select(i => i.IdempotencyKey)))))[..32];
}
