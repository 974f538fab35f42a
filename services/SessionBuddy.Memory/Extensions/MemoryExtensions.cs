using SessionBuddy.Memory.Memories;
using SessionBuddy.Memory.Optimization;
using SessionBuddy.Memory.Patterns;

namespace SessionBuddy.Memory.Extensions;

public static class MemoryExtensions
{
    /// <summary>Generic memories, patterns, worker history and optimisation, on the reflection store and search.</summary>
    public static IServiceCollection AddMemories(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(new MemoryCatalog(configuration.GetSection("Memory:ExtraCategories").Get<string[]>()));
        var optimization = configuration.GetSection(OptimizationOptions.SectionName).Get<OptimizationOptions>() ?? new OptimizationOptions();
        if (optimization.SimilarityThreshold is <= 0 or > 1)
        {
            throw new InvalidOperationException($"{OptimizationOptions.SectionName}:SimilarityThreshold must be in (0, 1], got {optimization.SimilarityThreshold}.");
        }
        services.AddSingleton(optimization);
        services.AddSingleton<MemoryAccess>();
        services.AddTransient<MemorySearch>();
        services.AddTransient<PatternStore>();
        services.AddTransient<MemoryOptimizer>();
        services.AddTransient<MemoryHealthReader>();
        return services;
    }
}
