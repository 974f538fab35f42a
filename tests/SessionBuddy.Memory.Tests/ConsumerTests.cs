using System.Text.Json;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using SessionBuddy.Contracts;
using SessionBuddy.Contracts.Memory;
using SessionBuddy.Memory.Consumers;

namespace SessionBuddy.Memory.Tests;

/// <summary>The request/response contracts through MassTransit (in-memory transport) and a real database.</summary>
public class ConsumerTests : MemoryBusTests
{
    private async Task<Response<TResult, RequestRejected>> Send<TRequest, TResult>(TRequest request)
        where TRequest : class where TResult : class =>
        await _harness.GetRequestClient<TRequest>().GetResponse<TResult, RequestRejected>(request);

    [Test]
    public async Task Store_search_delete_and_stats_round_trip()
    {
        using var metadata = JsonDocument.Parse("""{"source":"test"}""");
        var store = await Send<StoreReflection, StoreReflectionReply>(new StoreReflection(
            Guid.NewGuid(), "MassTransit round trip: the outbox dispatcher retries publishes", ["bus"], "consumers", "session-1", metadata.RootElement));
        Assert.That(store.Is(out Response<StoreReflectionReply>? stored), Is.True);
        Assert.That(stored!.Message.Deduplicated, Is.False);
        Assert.That(stored.Message.Embedded, Is.True);

        var again = await Send<StoreReflection, StoreReflectionReply>(new StoreReflection(
            Guid.NewGuid(), "MassTransit round trip: the outbox dispatcher retries publishes", null, "consumers", null, null));
        Assert.That(again.Is(out Response<StoreReflectionReply>? duplicate), Is.True);
        Assert.That(duplicate!.Message.Id, Is.EqualTo(stored.Message.Id));
        Assert.That(duplicate.Message.Deduplicated, Is.True);

        var search = await Send<SearchReflections, ReflectionSearchResults>(new SearchReflections("outbox dispatcher retries", Project: "consumers"));
        Assert.That(search.Is(out Response<ReflectionSearchResults>? found), Is.True);
        var hit = found!.Message.Results.Single();
        Assert.That(hit.Id, Is.EqualTo(stored.Message.Id));
        Assert.That(hit.Metadata.GetProperty("source").GetString(), Is.EqualTo("test"));
        Assert.That(found.Message.Mode, Is.EqualTo(SearchModes.Hybrid));

        var stats = await Send<GetReflectionStats, ReflectionStats>(new GetReflectionStats("consumers"));
        Assert.That(stats.Is(out Response<ReflectionStats>? counted), Is.True);
        Assert.That(counted!.Message.TotalReflections, Is.EqualTo(1));

        var delete = await Send<DeleteReflection, DeleteReflectionReply>(new DeleteReflection(stored.Message.Id));
        Assert.That(delete.Is(out Response<DeleteReflectionReply>? _), Is.True);
        var deleteAgain = await Send<DeleteReflection, DeleteReflectionReply>(new DeleteReflection(stored.Message.Id));
        Assert.That(deleteAgain.Is(out Response<RequestRejected>? notFound), Is.True);
        Assert.That(notFound!.Message.Code, Is.EqualTo(RejectionCodes.NotFound));
        Assert.That(notFound.Message.Argument, Is.EqualTo("id"));
    }

    private static IEnumerable<TestCaseData> BadStores()
    {
        yield return new TestCaseData(new StoreReflection(Guid.NewGuid(), "   ", null, null, null, null), "content").SetName("empty content");
        yield return new TestCaseData(new StoreReflection(Guid.NewGuid(), new string('x', 50_001), null, null, null, null), "content").SetName("oversized content");
        yield return new TestCaseData(new StoreReflection(Guid.NewGuid(), "ok", ["a", ""], null, null, null), "tags").SetName("empty tag");
        yield return new TestCaseData(new StoreReflection(Guid.NewGuid(), "ok", null, new string('p', 201), null, null), "project").SetName("long project");
        yield return new TestCaseData(new StoreReflection(Guid.NewGuid(), "ok", null, null, null, JsonDocument.Parse("[1]").RootElement), "metadata").SetName("array metadata");
    }

    [TestCaseSource(nameof(BadStores))]
    public async Task Bad_store_input_is_rejected_by_argument_and_stores_nothing(StoreReflection request, string argument)
    {
        var before = await _db.CountAsync("SELECT count(*) FROM reflections");

        var response = await Send<StoreReflection, StoreReflectionReply>(request);

        Assert.That(response.Is(out Response<RequestRejected>? rejected), Is.True);
        Assert.That(rejected!.Message.Code, Is.EqualTo(RejectionCodes.InvalidArgument));
        Assert.That(rejected.Message.Argument, Is.EqualTo(argument));
        Assert.That(await _db.CountAsync("SELECT count(*) FROM reflections"), Is.EqualTo(before));
    }

    private static IEnumerable<TestCaseData> BadSearches()
    {
        yield return new TestCaseData(new SearchReflections(""), "query").SetName("empty query");
        yield return new TestCaseData(new SearchReflections("q", Limit: 0), "limit").SetName("limit 0");
        yield return new TestCaseData(new SearchReflections("q", Limit: 101), "limit").SetName("limit 101");
        yield return new TestCaseData(new SearchReflections("q", Mode: "fuzzy"), "mode").SetName("unknown mode");
        yield return new TestCaseData(new SearchReflections("q", TagsMatch: "some"), "tags_match").SetName("unknown tags_match");
        yield return new TestCaseData(new SearchReflections("q", Since: "last tuesday"), "since").SetName("malformed since");
        yield return new TestCaseData(new SearchReflections("q", Until: "2025-13-45"), "until").SetName("malformed until");
        yield return new TestCaseData(new SearchReflections("q", Since: "2025-02-01", Until: "2025-01-01"), "until").SetName("until before since");
    }

    [TestCaseSource(nameof(BadSearches))]
    public async Task Bad_search_input_is_rejected_by_argument(SearchReflections request, string argument)
    {
        var response = await Send<SearchReflections, ReflectionSearchResults>(request);

        Assert.That(response.Is(out Response<RequestRejected>? rejected), Is.True);
        Assert.That(rejected!.Message.Argument, Is.EqualTo(argument));
        Assert.That(rejected.Message.Message, Does.StartWith(argument + ":"));
    }
}
