using SessionBuddy.Contracts.Akosha;
using SessionBuddy.Contracts.Memory;
using SessionBuddy.Contracts.Sessions;
using SessionBuddy.Contracts.Workers;
using SessionBuddy.LocalSystem;
using SessionBuddy.LocalSystem.Hosting;

namespace SessionBuddy.AkoshaSync.Tests;

/// <summary>
/// Akosha:ForwardReflections and Akosha:ForwardSessionSummaries: with them on, a reflection stored on A (by A's own
/// Memory service) and a session ended on A with a summary reach hub B and are found by search_all_systems, each
/// hit saying its kind; with them off (the default) nothing of either kind leaves A.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ForwardingTests
{
    private static readonly Dictionary<string, string> ForwardBoth = new()
    {
        ["Akosha__ForwardReflections"] = "true",
        ["Akosha__ForwardSessionSummaries"] = "true",
    };

    private ProjectProcess _memoryA = null!;

    private static AkoshaInstances Instances => Suite.Instances;

    [OneTimeSetUp]
    public async Task StartMemoryOnAAsync()
    {
        _memoryA = new ProjectProcess(AkoshaHubFixture.Resource("memory-a", "memory"), FreePort.Allocate(), "memory-a");
        await Instances.StartInstanceProcessAsync(_memoryA, new Dictionary<string, string>
        {
            ["ConnectionStrings__memorydb"] = await Instances.CreateDatabaseAAsync("memory_a"),
            ["Memory__Embedder"] = "hashed",
        });
    }

    [OneTimeTearDown]
    public async Task StopMemoryOnAAsync()
    {
        await _memoryA.StopAsync();
        _memoryA.Dispose();
    }

    [Test]
    public async Task WithForwardingOnAReflectionAndASessionSummaryFromAAreFoundOnTheHubWithTheirKind()
    {
        await Instances.RestartPusherAsync(ForwardBoth);
        try
        {
            var word = PushToHubTests.Word();
            var stored = await AkoshaInstances.AskAsync<StoreReflection, StoreReflectionReply>(Instances.BusA, new StoreReflection(
                Guid.NewGuid(), $"Retry the {word} migration with a smaller batch", ["migrations", "lesson"], "billing", null, null));
            var session = EndedSession(word, $"Moved the {word} importer to streaming; memory use fell by half.");
            await Instances.BusA.Publish(session);
            var unsummarised = EndedSession(word, null);
            await Instances.BusA.Publish(unsummarised);

            var found = await PushToHubTests.EventuallyAsync(() => SearchAsync(new SearchAkoshaResults(word, AkoshaInstances.SystemA)),
                r => Kinds(r, word).Contains(AkoshaItemKinds.Reflection) && Kinds(r, word).Contains(AkoshaItemKinds.SessionSummary));
            var reflection = found.Results.Single(r => Kind(r) == AkoshaItemKinds.Reflection);
            Assert.That(reflection.Content, Does.Contain($"Retry the {word} migration with a smaller batch"));
            Assert.That(reflection.Category, Is.EqualTo(MemoryCategories.AkoshaResult));
            Assert.That(reflection.Metadata.GetProperty("reflection_id").GetGuid(), Is.EqualTo(stored.Id), "the reflection A's Memory stored");
            Assert.That(reflection.Metadata.GetProperty("system_id").GetString(), Is.EqualTo(AkoshaInstances.SystemA));
            Assert.That(reflection.Metadata.GetProperty("project").GetString(), Is.EqualTo("billing"));
            Assert.That(reflection.Tags, Does.Contain("lesson").And.Contain("system:" + AkoshaInstances.SystemA));

            var summary = found.Results.Single(r => Kind(r) == AkoshaItemKinds.SessionSummary);
            Assert.That(summary.Content, Does.Contain("memory use fell by half").And.Contain("quality 73/100").And.Contain("importer-" + word));
            Assert.That(summary.Metadata.GetProperty("session_id").GetGuid(), Is.EqualTo(session.SessionId));
            Assert.That(summary.Metadata.GetProperty("duration_seconds").GetDouble(), Is.EqualTo(5400));
            Assert.That(summary.Metadata.GetProperty("project").GetString(), Is.EqualTo("ingest"));

            // The kind filter; worker types match worker results only.
            var reflections = await SearchAsync(new SearchAkoshaResults(word, Kind: "Reflection"));
            Assert.That(Kinds(reflections, word), Is.EquivalentTo(new[] { AkoshaItemKinds.Reflection }));
            var summaries = await SearchAsync(new SearchAkoshaResults(word, Kind: AkoshaItemKinds.SessionSummary));
            Assert.That(Kinds(summaries, word), Is.EquivalentTo(new[] { AkoshaItemKinds.SessionSummary }));
            Assert.That(Kinds(await SearchAsync(new SearchAkoshaResults(word, Kind: AkoshaItemKinds.WorkerResult)), word), Is.Empty);
            Assert.That(Kinds(await SearchAsync(new SearchAkoshaResults(word, WorkerTypes: ["shell"])), word), Is.Empty);
            Assert.That(Kinds(await SearchAsync(new SearchAkoshaResults(word, "another-system")), word), Is.Empty);
            var refused = Assert.ThrowsAsync<InvalidOperationException>(() => SearchAsync(new SearchAkoshaResults(word, Kind: "diary")))!;
            Assert.That(refused.Message, Does.Contain("kind").And.Contain("session_summary"));

            // Each once on the hub (keyed by reflection id, and session id and end); the session without a summary stays home.
            Assert.That(await HubItemsAsync(AkoshaItemKinds.Reflection, $"reflection:{stored.Id:N}"), Is.EqualTo(1));
            Assert.That(await HubItemsAsync(AkoshaItemKinds.SessionSummary, $"session:{session.SessionId:N}"), Is.EqualTo(1));
            Assert.That(await HubItemsAsync(AkoshaItemKinds.SessionSummary, $"session:{unsummarised.SessionId:N}"), Is.Zero);
            Assert.That(await QueuedAsync($"session:{unsummarised.SessionId:N}"), Is.Zero);

            // Resumed and ended again: the new summary is pushed too; the same end delivered again is not.
            await Instances.BusA.Publish(session);
            await Instances.BusA.Publish(session with { EndedAt = session.EndedAt.AddHours(1), Summary = $"Resumed: the {word} importer now retries." });
            await PushToHubTests.EventuallyAsync(() => HubItemsAsync(AkoshaItemKinds.SessionSummary, $"session:{session.SessionId:N}"), n => n == 2);
            await PushToHubTests.EventuallyAsync(() => SearchAsync(new SearchAkoshaResults(word, Kind: AkoshaItemKinds.SessionSummary)),
                r => Kinds(r, word).Count == 2);
            Assert.That(await QueuedAsync($"session:{session.SessionId:N}"), Is.EqualTo(2));
        }
        finally
        {
            await Instances.RestartPusherAsync();
        }
    }

    [Test]
    public async Task WithForwardingOffNeitherReflectionsNorSessionSummariesArePushed()
    {
        var word = PushToHubTests.Word();
        var stored = await AkoshaInstances.AskAsync<StoreReflection, StoreReflectionReply>(Instances.BusA, new StoreReflection(
            Guid.NewGuid(), $"Keep the {word} cache warm before the nightly report", ["cache"], "reports", null, null));
        var session = EndedSession(word, $"Tuned the {word} report cache.");
        await Instances.BusA.Publish(session);

        // A pool result published after them arrives on the hub: A's AkoshaSync has been consuming and pushing.
        var marker = new WorkerTaskCompleted("w-0", Guid.NewGuid(), "shell", $"echo {word}", WorkerTaskStatuses.Completed, word, null, 0, 0.1,
            null, DateTimeOffset.UtcNow, "pool-" + word);
        await Instances.BusA.Publish(new PoolResultsCollected("pool-" + word, [marker], DateTimeOffset.UtcNow));
        await PushToHubTests.EventuallyAsync(() => Instances.HubB.StoredResultsAsync("pool-" + word), n => n == 1);
        await PushToHubTests.EventuallyAsync(() => SearchAsync(new SearchAkoshaResults(word, AkoshaInstances.SystemA)),
            r => Kinds(r, word).Contains(AkoshaItemKinds.WorkerResult));
        // The events are consumed in batches beside the pool's; give them time to have been queued if they were to be.
        await Task.Delay(TimeSpan.FromSeconds(3));

        Assert.That(await QueuedAsync($"reflection:{stored.Id:N}") + await QueuedAsync($"session:{session.SessionId:N}"), Is.Zero, "nothing queued on A");
        Assert.That(await HubItemsAsync(AkoshaItemKinds.Reflection, $"reflection:{stored.Id:N}"), Is.Zero);
        Assert.That(await HubItemsAsync(AkoshaItemKinds.SessionSummary, $"session:{session.SessionId:N}"), Is.Zero);
        Assert.That(Kinds(await SearchAsync(new SearchAkoshaResults(word)), word), Is.EquivalentTo(new[] { AkoshaItemKinds.WorkerResult }));
    }

    private static SessionEnded EndedSession(string word, string? summary) =>
        new(Guid.NewGuid(), 73, "/tmp/handoff.md", DateTimeOffset.UtcNow, "importer-" + word, "ingest", summary, 5400);

    private static string Kind(MemoryMatch match) => match.Metadata.GetProperty("kind").GetString()!;

    /// <summary>Kinds of the hits whose text has the test's word (hybrid search also returns other tests' neighbours).</summary>
    private static List<string> Kinds(MemorySearchResults results, string word) =>
        [.. results.Results.Where(r => r.Content.Contains(word)).Select(Kind)];

    private static Task<MemorySearchResults> SearchAsync(SearchAkoshaResults query) =>
        AkoshaInstances.AskAsync<SearchAkoshaResults, MemorySearchResults>(Instances.BusB, query with { Limit = query.Limit ?? 50 });

    /// <summary>Items of this kind from A on the hub whose key starts with <paramref name="key"/> (a session's key adds its end time).</summary>
    private static Task<long> HubItemsAsync(string kind, string key) =>
        AkoshaInstances.ScalarAsync(Instances.HubB.HubDatabase,
            "SELECT count(*) FROM akosha_hub_results WHERE system_id = @system AND kind = @kind AND idempotency_key LIKE @key || '%'",
            ("system", AkoshaInstances.SystemA), ("kind", kind), ("key", key));

    private static Task<long> QueuedAsync(string key) =>
        AkoshaInstances.ScalarAsync(Instances.PusherDatabase, "SELECT count(*) FROM akosha_push_items WHERE idempotency_key LIKE @key || '%'", ("key", key));
}
