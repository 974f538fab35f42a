using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using SessionBuddy.AkoshaSync.Hub;
using SessionBuddy.Contracts.Akosha;
using SessionBuddy.Contracts.Memory;
using SessionBuddy.Contracts.Workers;
using SessionBuddy.Messaging;
using SessionBuddy.Messaging.Data;
using SessionBuddy.ServiceDefaults.Data;
using SessionBuddy.LocalSystem.Hosting;

namespace SessionBuddy.AkoshaSync.Tests;

/// <summary>
/// Instance A's AkoshaSync pushes pool results to hub B over HTTP; B stores each once and its Memory makes them
/// searchable. Outages, refusals and crashes end with every result on B exactly once.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class PushToHubTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static AkoshaInstances Instances => Suite.Instances;

    [Test]
    public async Task PoolResultsFromAAreSearchableOnTheHubBySystemWorkerTypeAndTime()
    {
        var word = Word();
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var sentBefore = (await StatusAsync()).Sent;
        var results = Results(3, word, "shell");
        await Instances.BusA.Publish(new PoolResultsCollected("pool-" + word, results, DateTimeOffset.UtcNow));

        var ids = results.Select(r => r.TaskId).ToList();
        var found = await EventuallyAsync(() => SearchAsync(new SearchAkoshaResults(word, AkoshaInstances.SystemA)), r => Mine(r, ids).Count == 3);
        Assert.That(found.Results.Take(3).Select(TaskId), Is.EquivalentTo(ids), "the results with the word rank first");
        Assert.That(Mine(found, ids).Select(r => r.Metadata.GetProperty("system_id").GetString()), Has.All.EqualTo(AkoshaInstances.SystemA));
        Assert.That(Mine(found, ids).Select(r => r.Category), Has.All.EqualTo(MemoryCategories.AkoshaResult));

        Assert.That(Mine(await SearchAsync(new SearchAkoshaResults(word, "another-system")), ids), Is.Empty, "filtered by system id");
        Assert.That(Mine(await SearchAsync(new SearchAkoshaResults(word, WorkerTypes: ["terminal-claude"])), ids), Is.Empty, "filtered by worker type");
        Assert.That(Mine(await SearchAsync(new SearchAkoshaResults(word, WorkerTypes: ["shell", "terminal-qwen"])), ids), Has.Count.EqualTo(3));
        Assert.That(Mine(await SearchAsync(new SearchAkoshaResults(word, Until: before.ToString("O"))), ids), Is.Empty, "filtered by time");

        var status = await EventuallyAsync(StatusAsync, s => s.Pending == 0);
        Assert.That(status.Sent, Is.EqualTo(sentBefore + 3), "sent counts the deliveries");
        Assert.That(status.Failed, Is.Zero);
        Assert.That(status.Configured, Is.True);
        Assert.That(status.LastSuccessAt, Is.GreaterThan(before));
        Assert.That(status.CircuitState, Is.EqualTo(AkoshaCircuitStates.Closed));
    }

    [Test]
    public async Task WithTheHubDownAQueuesOpensItsCircuitAndDeliversEverythingOnceWhenItIsBack()
    {
        var word = Word();
        var results = Results(20, word, "shell");
        var stopped = DateTimeOffset.UtcNow;
        await Instances.HubB.Hub.StopAsync();
        try
        {
            await Instances.BusA.Publish(new PoolResultsCollected("pool-" + word, results, DateTimeOffset.UtcNow));

            var down = await EventuallyAsync(StatusAsync, s => s.CircuitState == AkoshaCircuitStates.Open && s.Pending >= 20);
            Assert.That(down.LastError, Is.Not.Null.And.Not.Empty);
            Assert.That(down.LastErrorAt, Is.GreaterThan(stopped), "the error is this outage's");
            Assert.That(down.Failed, Is.Zero, "items not refused are pending, not failed");
            Assert.That(down.DeadLettered, Is.Zero, "an unreachable hub costs the items no attempts");
        }
        finally
        {
            await Instances.HubB.StartHubAsync(AkoshaInstances.DefaultHubMaxResultBytes);
        }

        await EventuallyAsync(() => HubCountAsync(word), n => n == 20);
        var ids = results.Select(r => r.TaskId).ToList();
        var found = await EventuallyAsync(() => SearchAsync(new SearchAkoshaResults(word, AkoshaInstances.SystemA, Limit: 50)), r => Mine(r, ids).Count == 20);
        Assert.That(found.Results.Take(20).Select(TaskId), Is.EquivalentTo(ids), "each once, first");
        var after = await EventuallyAsync(StatusAsync, s => s.Pending == 0 && s.CircuitState == AkoshaCircuitStates.Closed);
        Assert.That(after.DeadLettered, Is.Zero);
    }

    [Test]
    public async Task AResultTheHubRefusesIsDeadLetteredWithItsErrorAndReplayedAfterTheFix()
    {
        var word = Word();
        var poison = Results(1, word, "shell")[0] with { Output = new string('x', AkoshaInstances.DefaultHubMaxResultBytes + 1000) };
        var healthy = Results(1, word, "shell")[0];
        await Instances.BusA.Publish(new PoolResultsCollected("pool-" + word, [poison, healthy], DateTimeOffset.UtcNow));

        var letters = await EventuallyAsync(DeadLettersAsync, d => d.DeadLetters.Any(l => l.Summary.Contains(poison.TaskId.ToString())));
        var letter = letters.DeadLetters.Single(l => l.Summary.Contains(poison.TaskId.ToString()));
        Assert.That(letter.Attempts, Is.EqualTo(3), "Akosha:MaxAttempts");
        Assert.That(letter.LastError, Does.Contain("HubMaxResultBytes"));
        Assert.That(await HubCountAsync(word), Is.EqualTo(1), "the healthy item of the same batch was delivered");

        // The fix: the hub accepts larger results. The replayed item is then delivered, and is no longer a dead letter.
        await Instances.HubB.Hub.StopAsync();
        await Instances.HubB.StartHubAsync(maxResultBytes: 200_000);
        try
        {
            var replayed = await AkoshaInstances.AskAsync<ReplayAkoshaDeadLetters, AkoshaReplayed>(Instances.BusA, new ReplayAkoshaDeadLetters([letter.Id, Guid.NewGuid()]));
            Assert.That(replayed.Replayed, Is.EqualTo(1));
            Assert.That(replayed.NotFound, Has.Count.EqualTo(1));
            await EventuallyAsync(() => HubCountAsync(word), n => n == 2);
            Assert.That((await DeadLettersAsync()).DeadLetters.Select(l => l.Id), Does.Not.Contain(letter.Id));
            await EventuallyAsync(() => SearchAsync(new SearchAkoshaResults(word, AkoshaInstances.SystemA)), r => Mine(r, [poison.TaskId, healthy.TaskId]).Count == 2);
        }
        finally
        {
            await Instances.HubB.Hub.StopAsync();
            await Instances.HubB.StartHubAsync(AkoshaInstances.DefaultHubMaxResultBytes);
        }
    }

    [Test]
    public async Task KillingAsPusherWithABatchInFlightLosesNothingAndDuplicatesNothing()
    {
        var word = Word();
        var pools = Enumerable.Range(0, 5).Select(_ => Results(200, word, "terminal-qwen")).ToList();
        var ids = pools.SelectMany(p => p).Select(r => r.TaskId).ToHashSet();

        // A pushes through a relay that, once the hub has answered one of this test's batches, kills A before the
        // answer reaches it: that batch is stored on the hub and not recorded as sent on A.
        await using var relay = await HubRelay.StartAsync(Instances.HubB.Endpoint, async batch =>
        {
            if (batch.Items.Any(i => i.Result is { } r && ids.Contains(r.TaskId)))
            {
                await Instances.Pusher.KillAsync();
                return true;
            }
            return false;
        });
        await Instances.RestartPusherAsync(new Dictionary<string, string> { ["Akosha__Endpoint"] = relay.Endpoint.ToString() });
        try
        {
            foreach (var pool in pools)
            {
                await Instances.BusA.Publish(new PoolResultsCollected("pool-" + word, pool, DateTimeOffset.UtcNow));
            }
            var inFlight = await relay.KilledAsync.WaitAsync(Patience);
            Assert.That(inFlight.Items.Select(i => i.Status), Has.All.EqualTo(HubWire.Outcomes.Stored), "the hub stored the batch A never heard about");
            var keys = inFlight.Items.Select(i => i.IdempotencyKey).ToArray();
            Assert.That(await AkoshaInstances.ScalarAsync(Instances.PusherDatabase,
                "SELECT count(*) FROM akosha_push_items WHERE idempotency_key = ANY(@keys) AND sent_at IS NULL", ("keys", keys)),
                Is.EqualTo(keys.Length), "the killed pusher's batch is still queued on A");
            Assert.That(await HubCountAsync(word), Is.LessThan(1000), "killed mid-push");
        }
        finally
        {
            // Back to the hub directly; the batch in flight is sent again and answered duplicate.
            await Instances.RestartPusherAsync();
        }

        await EventuallyAsync(() => HubCountAsync(word), n => n == 1000);
        var memories = await EventuallyAsync(() => MemoriesAsync(word), n => n >= 1000);
        Assert.That(memories, Is.EqualTo(1000), "each result is one memory on the hub");
        await EventuallyAsync(() => AkoshaInstances.ScalarAsync(Instances.PusherDatabase,
            "SELECT count(*) FROM akosha_push_items WHERE sent_at IS NULL"), n => n == 0);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.That(await HubCountAsync(word), Is.EqualTo(1000));
        Assert.That(await MemoriesAsync(word), Is.EqualTo(1000));
    }

    [Test]
    public async Task KillingTheHubMidPushLosesNothingAndDuplicatesNothing()
    {
        var word = Word();
        var results = Enumerable.Range(0, 5).Select(_ => Results(200, word, "terminal-qwen")).ToList();
        foreach (var pool in results)
        {
            await Instances.BusA.Publish(new PoolResultsCollected("pool-" + word, pool, DateTimeOffset.UtcNow));
        }

        // SIGKILL the hub once it has part of them: whatever it committed stays (and is announced to its Memory after
        // the restart); A sends the rest, and again what it never heard the answer for.
        await EventuallyAsync(() => HubCountAsync(word), n => n > 0, TimeSpan.FromMilliseconds(5));
        var killedAt = DateTimeOffset.UtcNow;
        await Instances.HubB.Hub.KillAsync();
        var atKill = await HubCountAsync(word);
        try
        {
            Assert.That(atKill, Is.LessThan(1000), "killed mid-push");
            await EventuallyAsync(StatusAsync, s => s.LastErrorAt > killedAt && s.Pending > 0);
        }
        finally
        {
            await Instances.HubB.StartHubAsync(AkoshaInstances.DefaultHubMaxResultBytes);
        }

        await EventuallyAsync(() => HubCountAsync(word), n => n == 1000);
        var memories = await EventuallyAsync(() => MemoriesAsync(word), n => n >= 1000);
        Assert.That(memories, Is.EqualTo(1000), "each result is one memory on the hub");
        var found = await EventuallyAsync(() => SearchAsync(new SearchAkoshaResults(word, AkoshaInstances.SystemA, Limit: 100)), r => r.Results.Count > 0);
        Assert.That(found.Results.Select(TaskId), Is.Unique, "searchable, each once");
        await EventuallyAsync(() => AkoshaInstances.ScalarAsync(Instances.PusherDatabase,
            "SELECT count(*) FROM akosha_push_items WHERE sent_at IS NULL"), n => n == 0);
        Assert.That((await StatusAsync()).DeadLettered, Is.Zero, "a crashed hub costs the items no attempts");
    }

    [Test]
    public async Task KillingAsBrokerWhileResultsAreProducedLosesNothingAndDuplicatesNothing()
    {
        var word = Word();
        var deadLetteredBefore = await AkoshaInstances.ScalarAsync(Instances.PusherDatabase, "SELECT count(*) FROM akosha_dead_letters");
        using var producer = await StartProducerAsync();
        try
        {
            var clock = Stopwatch.StartNew();
            var ids = new List<Guid>();

            // 400 results go out through the producer's outbox while A's AkoshaSync pushes them to the hub.
            ids.AddRange(await ProduceAsync(producer, word, pools: 4 + 4));
            await EventuallyAsync(() => HubCountAsync(word), n => n > 0, TimeSpan.FromMilliseconds(5));

            // 200 more reach A's broker while A's AkoshaSync is frozen (SIGSTOP), so the broker has confirmed them (the
            // outbox marked them sent, so nothing sends them again) and A has not taken them: at the kill they are only in the
            // broker's durable queue, on its disk.
            var pusher = Instances.Pusher.Process!;
            pusher.Signal(ChildProcess.SigStop);
            long atKill, takenAtKill;
            TimeSpan killedAt;
            try
            {
                ids.AddRange(await ProduceAsync(producer, word, pools: 4));
                await EventuallyAsync(() => OutboxPendingAsync(producer), n => n == 0);
                takenAtKill = await QueuedOnAAsync(word);
                Assert.That(takenAtKill, Is.LessThanOrEqualTo(400), "the broker holds confirmed events A has not taken");
                await Instances.KillBrokerAAsync();
                atKill = await HubCountAsync(word);
                killedAt = clock.Elapsed;
            }
            finally
            {
                pusher.Signal(ChildProcess.SigCont);
            }
            try
            {
                // Production goes on with the broker down: the events wait in the producer's outbox, unconfirmed.
                ids.AddRange(await ProduceAsync(producer, word, pools: 4));
                Assert.That(await OutboxPendingAsync(producer), Is.GreaterThanOrEqualTo(4), "nothing is marked sent that the broker did not confirm");
            }
            finally
            {
                await Instances.StartBrokerAAsync();
            }
            var restartedAt = clock.Elapsed;
            ids.AddRange(await ProduceAsync(producer, word, pools: 4));

            await EventuallyAsync(() => HubCountAsync(word), n => n == 1000, patience: TimeSpan.FromSeconds(120));
            var deliveredAt = clock.Elapsed;
            var memories = await EventuallyAsync(() => MemoriesAsync(word), n => n >= 1000);
            Assert.That(memories, Is.EqualTo(1000), "each result is one memory on the hub");
            var found = await SearchAsync(new SearchAkoshaResults(word, AkoshaInstances.SystemA, Limit: 100));
            Assert.That(Mine(found, ids), Is.Not.Empty, "searchable on the hub");
            Assert.That(Mine(found, ids).Select(TaskId), Is.Unique, "each once");

            await EventuallyAsync(() => OutboxPendingAsync(producer), n => n == 0);
            await EventuallyAsync(() => AkoshaInstances.ScalarAsync(Instances.PusherDatabase,
                "SELECT count(*) FROM akosha_push_items WHERE sent_at IS NULL"), n => n == 0);
            Assert.That(await QueuedOnAAsync(word), Is.EqualTo(1000), 
                "A queued each result once, though events came again (unacknowledged at the kill, or published again unconfirmed)");
            Assert.That(await AkoshaInstances.ScalarAsync(Instances.PusherDatabase,
                "SELECT count(*) FROM akosha_dead_letters WHERE pool_id = @pool", ("pool", "pool-" + word)), Is.Zero);
            // Asked over A's bus: A's AkoshaSync outlived the outage (it once stopped itself when a publish was canceled by the
            // dropped connection) and its request endpoints are back.
            Assert.That(Instances.Pusher.Process!.HasExited, Is.False, "A's AkoshaSync is still running");
            // Both buses (A's and this test's, which receives the reply) reconnect their receive endpoints on MassTransit's
            // retry schedule (up to 30 s apart), so the first request after the restart may time out: ask until it answers.
            var status = await AnswerAfterBrokerRestartAsync(StatusAsync, TimeSpan.FromSeconds(150));
            Assert.That(status.DeadLettered, Is.EqualTo(deadLetteredBefore), "a broker crash costs the items no attempts");
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.That(await HubCountAsync(word), Is.EqualTo(1000));
            Assert.That(await MemoriesAsync(word), Is.EqualTo(1000));
            TestContext.Progress.WriteLine($"broker A killed at {killedAt.TotalSeconds:0.0} s with 600 produced, {takenAtKill} taken by A, {atKill} on the hub; " +
                $"running again at {restartedAt.TotalSeconds:0.0} s, all 1000 on the hub at {deliveredAt.TotalSeconds:0.0} s");
        }
        finally
        {
            await producer.StopAsync();
            if (Instances.Pusher.Process!.HasExited)
            {
                // Only after a failure above: the tests after this one get a running pusher.
                await Instances.RestartPusherAsync();
            }
        }
    }

    /// <summary>
    /// A service of instance A producing pool results as WorkerPool does (TaskStore.PublishPoolResultsAsync): each
    /// pool's PoolResultsCollected is written to its outbox in a transaction, and the outbox dispatcher publishes it
    /// persistent, marking it sent only once RabbitMQ confirmed it (AddServiceDatabase, and SessionBuddy.Messaging's AddOutbox and AddServiceBus).
    /// </summary>
    private static async Task<IHost> StartProducerAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:producerdb"] = await Instances.CreateDatabaseAAsync("producer_a"),
            ["ConnectionStrings:messaging"] = Instances.MessagingA,
        });
        builder.AddServiceDatabase("producerdb", typeof(PushToHubTests).Assembly);
        builder.AddOutbox();
        builder.AddServiceBus(serviceName: null, _ => { });
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    /// <summary>Shuts down <paramref name="pools"/> pools of 50 results each through the producer's outbox.</summary>
    private static async Task<List<Guid>> ProduceAsync(IHost producer, string word, int pools)
    {
        var ids = new List<Guid>();
        var outbox = producer.Services.GetRequiredService<Outbox>();
        var db = producer.Services.GetRequiredService<NpgsqlDataSource>();
        for (var pool = 0; pool < pools; pool++)
        {
            await using var connection = await db.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            var results = Results(50, word, "terminal-qwen");
            await outbox.EnqueueAsync(connection, transaction, new PoolResultsCollected("pool-" + word, results, DateTimeOffset.UtcNow), CancellationToken.None);
            await transaction.CommitAsync();
            outbox.NotifyCommitted();
            ids.AddRange(results.Select(r => r.TaskId));
        }
        return ids;
    }

    /// <summary>Results of the pool A's AkoshaSync has taken into its push queue (each result is one row, sent or not).</summary>
    private static Task<long> QueuedOnAAsync(string word) =>
        AkoshaInstances.ScalarAsync(Instances.PusherDatabase, "SELECT count(*) FROM akosha_push_items WHERE pool_id = @pool", ("pool", "pool-" + word));

    private static async Task<long> OutboxPendingAsync(IHost producer)
    {
        await using var command = producer.Services.GetRequiredService<NpgsqlDataSource>()
            .CreateCommand("SELECT count(*) FROM outbox_messages WHERE dispatched_at IS NULL");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static Task<long> MemoriesAsync(string word) =>
        AkoshaInstances.ScalarAsync(Instances.HubB.MemoryDatabase,
            "SELECT count(*) FROM reflections WHERE category = 'akosha_result' AND content LIKE '%' || @word || '%'", ("word", word));

    /// <summary>A word no other test uses, letters only, so keyword search ranks its results first.</summary>
    public static string Word() => new([.. Guid.NewGuid().ToString("N")[..12].Select(c => (char)('a' + Convert.ToInt32(c.ToString(), 16)))]);

    /// <summary>The hit's task id; none (empty) for reflections and session summaries other tests pushed.</summary>
    private static Guid TaskId(MemoryMatch match) => match.Metadata.TryGetProperty("task_id", out var id) ? id.GetGuid() : Guid.Empty;

    /// <summary>The hits among the given tasks (hybrid search also returns nearest neighbours of other tests).</summary>
    private static List<MemoryMatch> Mine(MemorySearchResults results, IReadOnlyCollection<Guid> taskIds) =>
        [.. results.Results.Where(r => taskIds.Contains(TaskId(r)))];

    private static List<WorkerTaskCompleted> Results(int count, string word, string workerType) =>
        [.. Enumerable.Range(0, count).Select(i => new WorkerTaskCompleted(
            "w-" + i, Guid.NewGuid(), workerType, $"echo {word} {i}", WorkerTaskStatuses.Completed, $"{word} output {i}", null, 0, 0.25,
            null, DateTimeOffset.UtcNow, "pool-" + word))];

    private static Task<MemorySearchResults> SearchAsync(SearchAkoshaResults query) =>
        AkoshaInstances.AskAsync<SearchAkoshaResults, MemorySearchResults>(Instances.BusB, query with { Limit = query.Limit ?? 50 });

    private static async Task<T> AnswerAfterBrokerRestartAsync<T>(Func<Task<T>> ask, TimeSpan patience)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                var answer = await ask();
                TestContext.Progress.WriteLine($"answered over the bus {clock.Elapsed.TotalSeconds:0} s after the first request");
                return answer;
            }
            catch (MassTransit.RequestTimeoutException) when (clock.Elapsed < patience)
            {
            }
        }
    }

    private static Task<AkoshaSyncStatus> StatusAsync() =>
        AkoshaInstances.AskAsync<GetAkoshaSyncStatus, AkoshaSyncStatus>(Instances.BusA, new GetAkoshaSyncStatus());

    private static Task<AkoshaDeadLetters> DeadLettersAsync() =>
        AkoshaInstances.AskAsync<ListAkoshaDeadLetters, AkoshaDeadLetters>(Instances.BusA, new ListAkoshaDeadLetters(500));

    private static Task<long> HubCountAsync(string word) => Instances.HubB.StoredResultsAsync("pool-" + word);

    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan? every = null, TimeSpan? patience = null)
    {
        var deadline = DateTime.UtcNow + (patience ?? Patience);
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"not reached within {(patience ?? Patience).TotalSeconds} s; last value: {value}");
            }
            await Task.Delay(every ?? TimeSpan.FromMilliseconds(100));
        }
    }
}
