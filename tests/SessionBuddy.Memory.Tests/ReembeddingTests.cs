using SessionBuddy.Contracts.Memory;
using SessionBuddy.Memory.Embeddings;
using SessionBuddy.Memory.Search;
using static SessionBuddy.Memory.Tests.ReflectionStoreTests;

namespace SessionBuddy.Memory.Tests;

/// <summary>Moving a database off the hashed embedder onto the built-in model, as a redeployment does.</summary>
public class ReembeddingTests
{
    private const string Hashed = "hashed/sessionbuddy-local-hash-v1";
    private const string BuiltIn = "builtin/all-MiniLM-L6-v2";
    private static readonly IDictionary<string, string?> BuiltIn384 = MemoryDatabase.BuiltIn;

    private static Task<ReflectionSearchResults> SearchAsync(MemoryDatabase db, string text, string mode) =>
        db.Get<ReflectionSearch>().SearchAsync(new ReflectionQuery(text, 10, null, mode, new SearchFilter("move")), CancellationToken.None);

    [Test]
    public async Task A_model_change_reembeds_in_resumable_batches_and_never_compares_across_models()
    {
        string connectionString;
        var ids = new List<Guid>();
        // 384 dimensions, like the built-in model, so the column carries over.
        var hashedSettings = new Dictionary<string, string?> { ["Memory:EmbeddingDimensions"] = "384" };
        await using (var before = await MemoryDatabase.CreateAsync(hashedSettings))
        {
            connectionString = before.ConnectionString;
            foreach (var text in new[]
            {
                "Raised the PostgreSQL connection pool size because requests were timing out under heavy load.",
                "The login page button colour was changed to blue to match the brand guidelines.",
                "Cached API responses in Redis to cut the average latency of the product catalogue.",
            })
            {
                ids.Add((await StoreAsync(before, Reflection(text, "move"))).Id);
            }
            // One row as a database from before models were recorded leaves it.
            await before.CountAsync($"UPDATE reflections SET embedding_model = NULL WHERE id = '{ids[0]}'");
        }

        await using (var moved = await MemoryDatabase.CreateAsync(BuiltIn384, connectionString: connectionString))
        {
            var reembedding = moved.Get<Reembedding>();
            var progress = await reembedding.GetProgressAsync(CancellationToken.None);
            Assert.That(progress.State, Is.EqualTo(ReembeddingStates.Running), "start-up opened the job");
            Assert.That((progress.Model, progress.Total, progress.Done, progress.Remaining), Is.EqualTo((BuiltIn, 3L, 0L, 3L)));
            Assert.That(progress.VectorsByModel.Single().Name, Is.EqualTo(Hashed), "the unrecorded vector was the hashed embedder's");

            // Hashed vectors are never compared with a MiniLM query; keyword still finds everything.
            var semantic = await SearchAsync(moved, "why did database calls hang when traffic spiked?", SearchModes.Semantic);
            Assert.That(semantic.Results, Is.Empty);
            var hybrid = await SearchAsync(moved, "connection pool timing out", SearchModes.Hybrid);
            Assert.That(hybrid.Results[0].Id, Is.EqualTo(ids[0]));
            Assert.That(hybrid.Results[0].MatchedBy, Is.EqualTo(MatchSources.Keyword));

            Assert.That(await reembedding.RunBatchAsync(CancellationToken.None, batchSize: 2), Is.EqualTo(2));
            progress = await reembedding.GetProgressAsync(CancellationToken.None);
            Assert.That((progress.State, progress.Done, progress.Remaining), Is.EqualTo((ReembeddingStates.Running, 2L, 1L)));
            Assert.That(progress.VectorsByModel.Select(m => (m.Name, m.Count)), Is.EquivalentTo(new[] { (BuiltIn, 2L), (Hashed, 1L) }));
        }

        // The process died here; the next one finds the open job and finishes it from the rows.
        await using (var restarted = await MemoryDatabase.CreateAsync(BuiltIn384, connectionString: connectionString))
        {
            var reembedding = restarted.Get<Reembedding>();
            var progress = await reembedding.GetProgressAsync(CancellationToken.None);
            Assert.That((progress.State, progress.Total, progress.Remaining), Is.EqualTo((ReembeddingStates.Running, 3L, 1L)), "the same job, not a new one");
            var jobId = progress.JobId;

            Assert.That(await reembedding.RunBatchAsync(CancellationToken.None), Is.EqualTo(1));
            Assert.That(await reembedding.RunBatchAsync(CancellationToken.None), Is.Zero);

            progress = await reembedding.GetProgressAsync(CancellationToken.None);
            Assert.That((progress.State, progress.JobId, progress.Done, progress.Remaining), Is.EqualTo((ReembeddingStates.Completed, jobId, 3L, 0L)));
            Assert.That(progress.FinishedAt, Is.Not.Null);
            Assert.That(progress.VectorsByModel.Single(), Is.EqualTo(new NamedCount(BuiltIn, 3)));

            var semantic = await SearchAsync(restarted, "why did database calls hang when traffic spiked?", SearchModes.Semantic);
            Assert.That(semantic.Results[0].Id, Is.EqualTo(ids[0]));
            var stats = await restarted.Get<Reflections.ReflectionStore>().GetStatsAsync("move", "builtin", 384, CancellationToken.None);
            Assert.That(stats.EmbeddedReflections, Is.EqualTo(3));
        }
    }

    [Test]
    public async Task Reflections_stored_without_a_vector_are_embedded_by_a_requested_job()
    {
        await using var db = await MemoryDatabase.CreateAsync(new Dictionary<string, string?> { ["Memory:ReembedOnModelChange"] = "false" });
        var stored = await db.Get<Reflections.ReflectionStore>().StoreAsync([Reflection("stored while the provider was down", "move")], null, CancellationToken.None);
        var reembedding = db.Get<Reembedding>();

        var before = await reembedding.GetProgressAsync(CancellationToken.None);
        Assert.That((before.State, before.Remaining), Is.EqualTo((ReembeddingStates.NotStarted, 1L)));
        Assert.That(before.VectorsByModel.Single().Name, Is.EqualTo("none"));

        await reembedding.OpenAsync(CancellationToken.None);
        await reembedding.OpenAsync(CancellationToken.None); // idempotent: one open job per model
        while (await reembedding.RunBatchAsync(CancellationToken.None) > 0)
        {
        }

        var after = await reembedding.GetProgressAsync(CancellationToken.None);
        Assert.That((after.State, after.Total, after.Done), Is.EqualTo((ReembeddingStates.Completed, 1L, 1L)));
        Assert.That(await db.CountAsync("SELECT count(*) FROM reembedding_jobs"), Is.EqualTo(1));
        var semantic = await SearchAsync(db, "stored while the provider was down", SearchModes.Semantic);
        Assert.That(semantic.Results.Single().Id, Is.EqualTo(stored[0].Id));
    }
}
