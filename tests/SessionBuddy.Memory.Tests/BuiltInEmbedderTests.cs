using System.Text.RegularExpressions;
using MassTransit;
using SessionBuddy.Contracts;
using SessionBuddy.Contracts.Memory;

namespace SessionBuddy.Memory.Tests;

/// <summary>The Memory consumers with the built-in all-MiniLM-L6-v2 embedder, as a deployment runs them.</summary>
public partial class BuiltInEmbedderTests : MemoryBusTests
{
    protected override IDictionary<string, string?>? Settings => MemoryDatabase.BuiltIn;

    // Each memory with a question sharing no word with it (checked below), and distractors.
    private static readonly (string Memory, string Question)[] Paraphrases =
    [
        ("Raised the PostgreSQL connection pool size because requests were timing out under heavy load.",
            "why did database calls hang when traffic spiked?"),
        ("The login page button colour was changed to blue to match the brand guidelines.",
            "what shade does our sign-in control use?"),
        ("Unit tests were flaky because they depended on the wall clock; we injected a fake time provider.",
            "why do our checks randomly break around midnight?"),
        ("Cached API responses in Redis to cut the average latency of the product catalogue.",
            "how can I make shop listing endpoints quicker?"),
    ];

    private static readonly string[] Distractors =
    [
        "Migrated the documentation site from Jekyll to Docusaurus.",
        "Quarterly planning moved to the second week of each month.",
        "Renamed the billing service's environment variables to a common prefix.",
    ];

    private async Task<Response<TResult, RequestRejected>> Send<TRequest, TResult>(TRequest request)
        where TRequest : class where TResult : class =>
        await _harness.GetRequestClient<TRequest>().GetResponse<TResult, RequestRejected>(request);

    private async Task<ReflectionSearchResults> SearchAsync(string query, string project, string mode)
    {
        var search = await Send<SearchReflections, ReflectionSearchResults>(new SearchReflections(query, Project: project, Mode: mode));
        Assert.That(search.Is(out Response<ReflectionSearchResults>? found), Is.True);
        return found!.Message;
    }

    [Test]
    public async Task A_stored_reflection_is_found_by_meaning_in_the_very_next_call()
    {
        const string content =
            "After the upgrade the nightly export job kept dying with out-of-memory errors because it loaded every invoice " +
            "into a list before writing the file. Streaming the rows with a server-side cursor and writing them in chunks of " +
            "a thousand kept the worker under two hundred megabytes and the export now finishes in four minutes.";
        var store = await Send<StoreReflection, StoreReflectionReply>(new StoreReflection(Guid.NewGuid(), content, null, "next-call", null, null));
        Assert.That(store.Is(out Response<StoreReflectionReply>? stored), Is.True);
        Assert.That(stored!.Message.Embedded, Is.True);

        var results = await SearchAsync("batch report process crashes from running short of RAM", "next-call", SearchModes.Semantic);

        Assert.That(results.Mode, Is.EqualTo(SearchModes.Semantic));
        Assert.That(results.Results.Single().Id, Is.EqualTo(stored.Message.Id));
        Assert.That(results.Results[0].SemanticScore, Is.GreaterThan(0.3));
    }

    [TestCase(SearchModes.Semantic)]
    [TestCase(SearchModes.Hybrid)]
    public async Task Memories_are_found_by_questions_that_share_no_word_with_them(string mode)
    {
        const string project = "paraphrase";
        var ids = new Dictionary<string, Guid>();
        foreach (var text in Paraphrases.Select(p => p.Memory).Concat(Distractors))
        {
            var store = await Send<StoreReflection, StoreReflectionReply>(new StoreReflection(Guid.NewGuid(), text, null, project, null, null));
            Assert.That(store.Is(out Response<StoreReflectionReply>? stored), Is.True);
            ids[text] = stored!.Message.Id;
        }

        foreach (var (memory, question) in Paraphrases)
        {
            Assert.That(Words(question).Intersect(Words(memory)), Is.Empty, question);
            var results = await SearchAsync(question, project, mode);
            Assert.That(results.Results, Is.Not.Empty, question);
            Assert.That(results.Results[0].Id, Is.EqualTo(ids[memory]), $"{question} -> {results.Results[0].Content}");
            Assert.That(results.Results[0].MatchedBy, Is.EqualTo(MatchSources.Semantic));
        }
    }

    [Test]
    public async Task Reembed_memories_reports_an_up_to_date_store_and_starts_nothing()
    {
        var store = await Send<StoreReflection, StoreReflectionReply>(new StoreReflection(Guid.NewGuid(), "already embedded by the model", null, "reembed", null, null));
        Assert.That(store.Is(out Response<StoreReflectionReply>? _), Is.True);

        var reply = await Send<ReembedMemories, ReembeddingProgress>(new ReembedMemories());

        Assert.That(reply.Is(out Response<ReembeddingProgress>? progress), Is.True);
        Assert.That(progress!.Message.Model, Is.EqualTo("builtin/all-MiniLM-L6-v2"));
        Assert.That(progress.Message.State, Is.EqualTo(ReembeddingStates.UpToDate));
        Assert.That(progress.Message.Remaining, Is.Zero);
        Assert.That(progress.Message.JobId, Is.Null);
        Assert.That(progress.Message.VectorsByModel.Select(m => m.Name), Is.EquivalentTo(new[] { "builtin/all-MiniLM-L6-v2" }));
    }

    private static HashSet<string> Words(string text) =>
        [.. WordPattern().Matches(text.ToLowerInvariant()).Select(m => m.Value)];

    [GeneratedRegex(@"\p{L}+")]
    private static partial Regex WordPattern();
}
