using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using SessionBuddy.Contracts.Health;
using SessionBuddy.Memory.Embeddings;
using SessionBuddy.Memory.KnowledgeGraph;
using SessionBuddy.Memory.Memories;
using SessionBuddy.Memory.Optimization;
using SessionBuddy.Memory.Patterns;
using SessionBuddy.Memory.Reflections;
using SessionBuddy.Memory.Search;
using Microsoft.Extensions.Options;
using SessionBuddy.Messaging;
using SessionBuddy.Messaging.Data;
using SessionBuddy.ServiceDefaults.Configuration;
using SessionBuddy.ServiceDefaults.Data;

namespace SessionBuddy.Memory.Extensions;

public static class Extensions
{
    public const string DatabaseName = "memorydb";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddServiceDatabase(DatabaseName, typeof(Extensions).Assembly);
        builder.AddOutbox();
        builder.Services.AddReflections(builder.Configuration);
        builder.Services.AddSingleton<KnowledgeGraphStore>();
        // Registered after the migrator and before the bus: the column exists before any consumer runs.
        builder.Services.AddHostedService<EmbeddingColumn>();
        builder.Services.AddHostedService<ReembeddingWorker>();
        builder.Services.AddHostedService<EmbedderPreload>();
        builder.Services.AddHostedService<ScheduledOptimization>();
        builder.AddServiceBus(ServiceNames.Memory, bus => bus.AddConsumers(typeof(Extensions).Assembly));
    }

    /// <summary>
    /// Reflection storage and search on the registered <c>NpgsqlDataSource</c>, with Ollama embeddings when
    /// <c>ConnectionStrings:ollama</c> is set and otherwise the built-in all-MiniLM-L6-v2 (or, with
    /// <c>Memory:Embedder=hashed</c>, the model-free hashing embedder).
    /// </summary>
    public static IServiceCollection AddReflections(this IServiceCollection services, IConfiguration configuration)
    {
        var ollama = configuration.GetConnectionString(OllamaConnection.ConnectionName) is { Length: > 0 } connectionString
            ? OllamaConnection.Parse(connectionString)
            : null;
        // Which embedder decides which services exist, so it is read here; its value is checked with the rest at start.
        var embedder = ollama is not null
            ? EmbeddingSettings.Ollama
            : (configuration[$"{MemoryOptions.SectionName}:{nameof(MemoryOptions.Embedder)}"] ?? EmbeddingSettings.BuiltIn).Trim().ToLowerInvariant();
        if (embedder == EmbeddingSettings.Ollama && ollama is null)
        {
            throw new InvalidOperationException($"{MemoryOptions.SectionName}:{nameof(MemoryOptions.Embedder)}: Ollama is used when ConnectionStrings:{OllamaConnection.ConnectionName} is set; set that instead.");
        }
        services.AddValidatedOptions<MemoryOptions>(MemoryOptions.SectionName).PostConfigure(options =>
        {
            // What the settings leave open follows from the embedder.
            options.Embedder = embedder;
            options.EmbeddingDimensions ??= embedder == EmbeddingSettings.Ollama ? 768 : MiniLmModel.Dimensions;
            options.SemanticWeight ??= embedder switch
            {
                EmbeddingSettings.Hashed => 0.0,
                EmbeddingSettings.BuiltIn => MemoryOptions.BuiltInSemanticWeight,
                _ => 1.0,
            };
        });
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<MemoryOptions>>().Value);
        EmbeddingSettings Settings(IServiceProvider sp, string model) =>
            new(embedder, model, sp.GetRequiredService<MemoryOptions>().EmbeddingDimensions!.Value);
        // Stores write their integration events to the outbox (AddOutbox dispatches them; these are no-ops then).
        services.TryAddSingleton<OutboxSignal>();
        services.TryAddSingleton<Outbox>();

        switch (embedder)
        {
            case EmbeddingSettings.BuiltIn:
                services.AddSingleton(sp => Settings(sp, MiniLmModel.ModelId));
                services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(MiniLmEmbedder.Shared);
                break;
            case EmbeddingSettings.Hashed:
                services.AddSingleton(sp => Settings(sp, LocalEmbedder.ModelId));
                services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(sp => new LocalEmbedder(sp.GetRequiredService<EmbeddingSettings>().Dimensions));
                break;
            case EmbeddingSettings.Ollama:
                services.AddSingleton(ollama!);
                services.AddSingleton(sp => Settings(sp, ollama!.Model));
                services.AddHttpClient<OllamaEmbedder>(http => http.Timeout = TimeSpan.FromSeconds(30));
                services.AddTransient<IEmbeddingGenerator<string, Embedding<float>>>(sp => sp.GetRequiredService<OllamaEmbedder>());
                break;
            // Any other name: nothing to register; the options check stops the start naming Memory:Embedder.
        }

        services.AddTransient<ReflectionEmbedder>();
        services.AddSingleton<ReflectionStore>();
        services.AddSingleton<ReembeddingSignal>();
        services.AddTransient<Reembedding>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<MemoryOptions>();
            return new Bm25Ranking(sp.GetRequiredService<NpgsqlDataSource>(),
                approximation: new Bm25Approximation(options.KeywordCandidatePostings, options.KeywordRescoredCandidates));
        });
        services.AddSingleton<VectorRanking>();
        services.AddTransient<ReflectionSearch>();
        services.AddMemories();
        return services;
    }

    /// <summary>Generic memories, patterns, worker history and optimisation, on the reflection store and search.</summary>
    private static IServiceCollection AddMemories(this IServiceCollection services)
    {
        services.AddSingleton(sp => new MemoryCatalog(sp.GetRequiredService<MemoryOptions>().ExtraCategories));
        services.AddValidatedOptions<OptimizationOptions>(OptimizationOptions.SectionName);
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<OptimizationOptions>>().Value);
        services.AddSingleton<MemoryAccess>();
        services.AddTransient<MemorySearch>();
        services.AddTransient<PatternStore>();
        services.AddTransient<MemoryOptimizer>();
        services.AddTransient<MemoryHealthReader>();
        return services;
    }
}
