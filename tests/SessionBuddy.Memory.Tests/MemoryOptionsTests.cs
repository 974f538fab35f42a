using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SessionBuddy.Memory.Embeddings;
using SessionBuddy.Memory.Extensions;

namespace SessionBuddy.Memory.Tests;

/// <summary>The Memory service's settings: checked at start-up with the key named, and what they leave open follows from the embedder.</summary>
[TestFixture]
public sealed class MemoryOptionsTests
{
    [Test]
    public void BadSettingsStopTheStartNamingEveryKey()
    {
        using var host = Host(new()
        {
            ["Memory:Embedder"] = "word2vec",
            ["Memory:HnswM"] = "40",
            ["Memory:HnswEfConstruction"] = "64",
            ["Memory:KeywordRescoredCandidates"] = "0",
            ["Memory:Optimization:SimilarityThreshold"] = "0",
            ["Memory:ExtraCategories:0"] = "runbook",
            ["Memory:ExtraCategories:1"] = "Not A Name!",
        });

        // Both settings classes are refused at once (one exception each, together).
        var refused = Assert.ThrowsAsync<AggregateException>(() => host.StartAsync())!;
        var failures = refused.InnerExceptions.OfType<OptionsValidationException>().SelectMany(e => e.Failures).ToList();

        Assert.That(failures, Has.Some.StartsWith("Memory:Embedder: must be builtin or hashed"));
        Assert.That(failures, Has.Some.EqualTo("Memory:HnswEfConstruction: must be at least 2 × HnswM (80), got 64"));
        Assert.That(failures, Has.Some.StartsWith("Memory:KeywordRescoredCandidates:"));
        Assert.That(failures, Has.Some.StartsWith("Memory:Optimization:SimilarityThreshold: must be in (0, 1]"));
        Assert.That(failures, Has.Some.EqualTo("Memory:ExtraCategories: 'Not A Name!' is not a category name (lower-case letters, digits, _ . -)."));
        Assert.That(failures, Has.None.Contains("runbook"));
    }

    [Test]
    public void TheBuiltInModelsSizeIsTheOnlyOneItAccepts()
    {
        using var host = Host(new() { ["Memory:EmbeddingDimensions"] = "768" });

        var refused = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync())!;

        Assert.That(refused.Failures, Has.Some.StartsWith("Memory:EmbeddingDimensions: the built-in embedder (all-MiniLM-L6-v2) makes 384-dimensional vectors"));
    }

    [Test]
    public void OllamaIsChosenByItsConnectionStringNotByName()
    {
        var refused = Assert.Throws<InvalidOperationException>(() => Host(new() { ["Memory:Embedder"] = "ollama" }))!;

        Assert.That(refused.Message, Does.StartWith("Memory:Embedder: Ollama is used when ConnectionStrings:ollama is set"));
    }

    [Test]
    public async Task WhatTheSettingsLeaveOpenFollowsFromTheEmbedder()
    {
        using var hashed = Host(new() { ["Memory:Embedder"] = " Hashed " });
        await hashed.StartAsync();
        var options = hashed.Services.GetRequiredService<MemoryOptions>();
        var settings = hashed.Services.GetRequiredService<EmbeddingSettings>();

        Assert.That((options.Embedder, options.EmbeddingDimensions, options.SemanticWeight), Is.EqualTo((EmbeddingSettings.Hashed, 384, 0.0)),
            "the hashed embedder: 384 dimensions and no semantic weight in hybrid search");
        Assert.That((settings.Model, settings.Dimensions), Is.EqualTo((LocalEmbedder.ModelId, 384)));
        await hashed.StopAsync();

        using var builtIn = Host(new());
        await builtIn.StartAsync();
        Assert.That(builtIn.Services.GetRequiredService<MemoryOptions>().SemanticWeight, Is.EqualTo(MemoryOptions.BuiltInSemanticWeight));
        await builtIn.StopAsync();
    }

    private static IHost Host(Dictionary<string, string?> settings)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddReflections(builder.Configuration);
        return builder.Build();
    }
}
