using SessionBuddy.Contracts.Memory;
using SessionBuddy.Memory.Embeddings;
using SessionBuddy.Memory.Search;

namespace SessionBuddy.Memory.Tests;

public class EmbeddingFailureTests
{
    [Test]
    public async Task Ollama_down_degrades_search_to_keyword_with_a_warning()
    {
        await using var db = await MemoryDatabase.CreateAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:ollama"] = $"Endpoint=http://127.0.0.1:{OllamaEmbedderTests.FreePort()};Model=nomic-embed-text",
        });

        var stored = await ReflectionStoreTests.StoreAsync(db, ReflectionStoreTests.Reflection("offline store of the marmalade incident", "p"));
        Assert.That(stored.Embedded, Is.False);

        var results = await db.Get<ReflectionSearch>().SearchAsync(
            new ReflectionQuery("marmalade incident", 5, null, SearchModes.Hybrid, new SearchFilter("p")), CancellationToken.None);

        Assert.That(results.Mode, Is.EqualTo(SearchModes.Keyword));
        Assert.That(results.Warnings.Single(), Does.Contain("unreachable").And.Contain("keyword"));
        Assert.That(results.Results.Single().Id, Is.EqualTo(stored.Id));
    }

    [Test]
    public async Task Start_up_refuses_a_dimension_other_than_the_stored_one()
    {
        await using var db = await MemoryDatabase.CreateAsync();
        var other = new EmbeddingColumn(db.DataSource, new EmbeddingSettings("local", LocalEmbedder.ModelId, 512),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<EmbeddingColumn>.Instance, new MemoryOptions());

        var error = Assert.ThrowsAsync<InvalidOperationException>(() => other.StartAsync(CancellationToken.None));
        Assert.That(error!.Message, Does.Contain("256").And.Contain("512"));
    }

    [Test]
    public async Task A_provider_returning_another_dimension_is_never_compared()
    {
        await using var db = await MemoryDatabase.CreateAsync();
        var embedder = new ReflectionEmbedder(new LocalEmbedder(128), db.Get<EmbeddingSettings>(),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<ReflectionEmbedder>.Instance);

        var outcome = await embedder.EmbedAsync(["text"], CancellationToken.None);

        Assert.That(outcome.Vectors, Is.Null);
        Assert.That(outcome.Warning, Does.Contain("128").And.Contain("256"));
    }
}
