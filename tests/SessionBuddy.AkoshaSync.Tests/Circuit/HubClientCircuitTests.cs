using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using SessionBuddy.AkoshaSync.Hub;
using SessionBuddy.AkoshaSync.Push;
using SessionBuddy.Contracts.Akosha;
using SessionBuddy.Contracts.Workers;

// Outside SessionBuddy.AkoshaSync.Tests: these tests need no running instances (the Suite set-up fixture).
namespace SessionBuddy.AkoshaSync.CircuitTests;

/// <summary>
/// The pusher's <see cref="HubClient"/> against a fake hub that answers as the real one does (503 when it cannot
/// take the batch, 200 with one outcome per item otherwise), on a clock the test moves: the circuit opens after
/// exactly Akosha:CircuitFailureThreshold consecutive failed requests, never on as many failures with a success in
/// between, half-opens after the break and closes on a successful trial.
/// </summary>
[TestFixture]
public sealed class HubClientCircuitTests
{
    private const int Threshold = 3;
    private static readonly TimeSpan Break = TimeSpan.FromSeconds(30);

    [Test]
    public async Task TheCircuitOpensAfterExactlyNConsecutiveFailuresHalfOpensAfterTheBreakAndClosesOnASuccessfulTrial()
    {
        var hub = new FakeHub();
        var clock = new ManualClock();
        var client = Client(hub, clock);

        for (var i = 0; i < Threshold - 1; i++)
        {
            await FailsAsync(client, hub);
        }
        Assert.That(client.CircuitState, Is.EqualTo(AkoshaCircuitStates.Closed), "N-1 failures");
        await SucceedsAsync(client, hub);
        for (var i = 0; i < Threshold - 1; i++)
        {
            await FailsAsync(client, hub);
        }
        Assert.That(client.CircuitState, Is.EqualTo(AkoshaCircuitStates.Closed), "N-1 failures, a success, N-1 failures: 2N-2 failures, never N in a row");
        Assert.That(hub.Requests, Is.EqualTo(2 * Threshold - 1), "every call reached the hub");

        // Long after the success (a sampling window would have let it roll out) the N-th failure in a row opens it.
        clock.Advance(TimeSpan.FromHours(1));
        await FailsAsync(client, hub);
        Assert.That(client.CircuitState, Is.EqualTo(AkoshaCircuitStates.Open), "N consecutive failures");

        hub.Healthy = true;
        var requests = hub.Requests;
        Assert.ThrowsAsync<BrokenCircuitException>(() => client.SendAsync(Batch(), CancellationToken.None));
        clock.Advance(Break - TimeSpan.FromSeconds(1));
        Assert.ThrowsAsync<BrokenCircuitException>(() => client.SendAsync(Batch(), CancellationToken.None));
        Assert.That(hub.Requests, Is.EqualTo(requests), "an open circuit sends nothing");

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(client.CircuitState, Is.EqualTo(AkoshaCircuitStates.HalfOpen), "after the break");
        var outcomes = await client.SendAsync(Batch(), CancellationToken.None);
        Assert.That(outcomes.Select(o => o.Status), Has.All.EqualTo(HubWire.Outcomes.Stored));
        Assert.That(client.CircuitState, Is.EqualTo(AkoshaCircuitStates.Closed), "a successful trial closes it");

        // Closed again, it counts from zero: N-1 failures leave it closed.
        for (var i = 0; i < Threshold - 1; i++)
        {
            await FailsAsync(client, hub);
        }
        Assert.That(client.CircuitState, Is.EqualTo(AkoshaCircuitStates.Closed));
    }

    [Test]
    public async Task AFailedTrialOpensTheCircuitForAnotherBreak()
    {
        var hub = new FakeHub();
        var clock = new ManualClock();
        var client = Client(hub, clock);
        for (var i = 0; i < Threshold; i++)
        {
            await FailsAsync(client, hub);
        }
        Assert.That(client.CircuitState, Is.EqualTo(AkoshaCircuitStates.Open));

        clock.Advance(Break);
        Assert.That(client.CircuitState, Is.EqualTo(AkoshaCircuitStates.HalfOpen));
        await FailsAsync(client, hub);
        Assert.That(client.CircuitState, Is.EqualTo(AkoshaCircuitStates.Open), "one failed trial is enough");
        var requests = hub.Requests;
        Assert.ThrowsAsync<BrokenCircuitException>(() => client.SendAsync(Batch(), CancellationToken.None));
        Assert.That(hub.Requests, Is.EqualTo(requests));

        clock.Advance(Break);
        await SucceedsAsync(client, hub);
        Assert.That(client.CircuitState, Is.EqualTo(AkoshaCircuitStates.Closed));
    }

    [Test]
    public async Task EveryRetryIsARequestTheCircuitCounts()
    {
        // Two retries: one call that fails is three failed requests, which is the threshold.
        var hub = new FakeHub();
        var client = Client(hub, new ManualClock(), retries: 2);
        await FailsAsync(client, hub);
        Assert.That(hub.Requests, Is.EqualTo(3));
        Assert.That(client.CircuitState, Is.EqualTo(AkoshaCircuitStates.Open));
    }

    private static HubClient Client(FakeHub hub, ManualClock clock, int retries = 0) =>
        new(new HttpClients(hub), Options.Create(new AkoshaOptions
        {
            Endpoint = "http://hub.invalid:5000",
            ApiKey = "key",
            SystemId = "system-a",
            RequestRetries = retries,
            RetryBaseDelay = TimeSpan.FromMilliseconds(1),
            RetryMaxDelay = TimeSpan.FromMilliseconds(2),
            CircuitFailureThreshold = Threshold,
            CircuitBreakDuration = Break,
        }), clock);

    private static Task FailsAsync(HubClient client, FakeHub hub)
    {
        hub.Healthy = false;
        var before = hub.Requests;
        var failure = Assert.ThrowsAsync<HubUnavailableException>(() => client.SendAsync(Batch(), CancellationToken.None))!;
        Assert.That(failure.Message, Does.Contain("503"));
        Assert.That(hub.Requests, Is.GreaterThan(before));
        return Task.CompletedTask;
    }

    private static async Task SucceedsAsync(HubClient client, FakeHub hub)
    {
        hub.Healthy = true;
        var outcomes = await client.SendAsync(Batch(), CancellationToken.None);
        Assert.That(outcomes.Select(o => o.Status), Has.All.EqualTo(HubWire.Outcomes.Stored));
    }

    private static PushBatch Batch()
    {
        var result = new WorkerTaskCompleted("w-1", Guid.NewGuid(), "shell", "echo hi", WorkerTaskStatuses.Completed, "hi", null, 0, 0.1,
            null, DateTimeOffset.UtcNow, "pool-1");
        return new PushBatch("system-a", [new PushItem(HubWire.KeyFor(result), HubWire.WorkerResult, result.PoolId, result)]);
    }

    /// <summary>The hub's wire format: POST /akosha/v1/results with a bearer key; 503 problem when unavailable.</summary>
    private sealed class FakeHub : HttpMessageHandler
    {
        public bool Healthy { get; set; }

        public int Requests { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests++;
            Assert.That(request.Method, Is.EqualTo(HttpMethod.Post));
            Assert.That(request.RequestUri!.AbsolutePath, Is.EqualTo(HubWire.ResultsPath));
            Assert.That(request.Headers.Authorization?.ToString(), Is.EqualTo("Bearer key"));
            var batch = JsonSerializer.Deserialize<PushBatch>(await request.Content!.ReadAsStringAsync(cancellationToken), HubWire.Json)!;
            if (!Healthy)
            {
                return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)
                {
                    Content = new StringContent("""{"title":"Service Unavailable","status":503}""", Encoding.UTF8, "application/problem+json"),
                };
            }
            var reply = new PushBatchReply([.. batch.Items.Select(i => new PushItemOutcome(i.IdempotencyKey, HubWire.Outcomes.Stored))]);
            return new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent(JsonSerializer.Serialize(reply, HubWire.Json), Encoding.UTF8, "application/json"),
            };
        }
    }

    private sealed class HttpClients(HttpMessageHandler handler) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(handler, disposeHandler: false);
    }

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
