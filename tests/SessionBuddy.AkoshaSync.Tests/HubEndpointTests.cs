using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using SessionBuddy.AkoshaSync.Hub;
using SessionBuddy.Contracts.Workers;
using SessionBuddy.LocalSystem;

namespace SessionBuddy.AkoshaSync.Tests;

/// <summary>
/// Hub B's push endpoint (<c>POST /akosha/v1/results</c>) spoken to directly, as another instance's pusher would:
/// without the hub's key, or with another key, it answers 401 and stores nothing; a valid batch is stored, and the
/// same batch sent again is answered duplicate item by item and stored (and made searchable) once.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class HubEndpointTests
{
    private const string SystemId = "system-endpoint";

    private static AkoshaInstances Instances => Suite.Instances;

    [Test]
    public async Task WithoutTheKeyOrWithAnotherKeyTheHubAnswers401AndStoresNothing()
    {
        var word = PushToHubTests.Word();
        var batch = Batch(word, 2);
        using var http = new HttpClient();

        using var anonymous = await PostAsync(http, batch, key: null);
        Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "no Authorization header");
        Assert.That(await anonymous.Content.ReadAsStringAsync(), Does.Contain("HubKey"), "the refusal says what is missing");

        using var wrong = await PostAsync(http, batch, key: AkoshaHubFixture.Key + "-not");
        Assert.That(wrong.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "another key");

        using var prefix = await PostAsync(http, batch, key: AkoshaHubFixture.Key[..^1]);
        Assert.That(prefix.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "a prefix of the key");

        using var notBearer = new HttpRequestMessage(HttpMethod.Post, ResultsUri) { Content = JsonContent.Create(batch, options: HubWire.Json) };
        notBearer.Headers.Authorization = new AuthenticationHeaderValue("Basic", AkoshaHubFixture.Key);
        using var basic = await http.SendAsync(notBearer);
        Assert.That(basic.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "the key under another scheme");

        // Give a wrongly accepted batch time to have been stored and announced before counting.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.That(await Instances.HubB.StoredResultsAsync(PoolId(word)), Is.Zero, "nothing stored");
        Assert.That(await MemoriesAsync(word), Is.Zero, "nothing made searchable");
    }

    [Test]
    public async Task TheSameValidBatchTwiceIsStoredOnceAndEveryItemOfTheSecondIsADuplicate()
    {
        var word = PushToHubTests.Word();
        var batch = Batch(word, 3);
        using var http = new HttpClient();

        using var first = await PostAsync(http, batch, AkoshaHubFixture.Key);
        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var stored = (await first.Content.ReadFromJsonAsync<PushBatchReply>(HubWire.Json))!;
        Assert.That(stored.Items.Select(i => i.IdempotencyKey), Is.EqualTo(batch.Items.Select(i => i.IdempotencyKey)), "one outcome per item, in order");
        Assert.That(stored.Items.Select(i => i.Status), Has.All.EqualTo(HubWire.Outcomes.Stored));

        using var second = await PostAsync(http, batch, AkoshaHubFixture.Key);
        Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var again = (await second.Content.ReadFromJsonAsync<PushBatchReply>(HubWire.Json))!;
        Assert.That(again.Items.Select(i => i.IdempotencyKey), Is.EqualTo(batch.Items.Select(i => i.IdempotencyKey)));
        Assert.That(again.Items.Select(i => i.Status), Has.All.EqualTo(HubWire.Outcomes.Duplicate));

        Assert.That(await Instances.HubB.StoredResultsAsync(PoolId(word)), Is.EqualTo(3), "each item stored once");
        await PushToHubTests.EventuallyAsync(() => MemoriesAsync(word), n => n >= 3);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.That(await MemoriesAsync(word), Is.EqualTo(3), "and made searchable once");
    }

    private static Uri ResultsUri => new(Instances.HubB.Endpoint, HubWire.ResultsPath);

    private static string PoolId(string word) => "endpoint-" + word;

    private static PushBatch Batch(string word, int count) =>
        new(SystemId, [.. Enumerable.Range(0, count).Select(i =>
        {
            var result = new WorkerTaskCompleted("w-" + i, Guid.NewGuid(), "shell", $"echo {word} {i}", WorkerTaskStatuses.Completed,
                $"{word} output {i}", null, 0, 0.1, null, DateTimeOffset.UtcNow, PoolId(word));
            return new PushItem(HubWire.KeyFor(result), HubWire.WorkerResult, PoolId(word), result);
        })]);

    private static async Task<HttpResponseMessage> PostAsync(HttpClient http, PushBatch batch, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, ResultsUri) { Content = JsonContent.Create(batch, options: HubWire.Json) };
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        return await http.SendAsync(request);
    }

    private static Task<long> MemoriesAsync(string word) =>
        AkoshaInstances.ScalarAsync(Instances.HubB.MemoryDatabase,
            "SELECT count(*) FROM reflections WHERE category = 'akosha_result' AND content LIKE '%' || @word || '%'", ("word", word));
}
