using SessionBuddy.Contracts.Memory;
using SessionBuddy.Memory.Search;

namespace SessionBuddy.Memory.Tests;

public class RankFusionTests
{
    private static readonly Guid A = Guid.Parse("00000000-0000-0000-0000-00000000000a");
    private static readonly Guid B = Guid.Parse("00000000-0000-0000-0000-00000000000b");
    private static readonly Guid C = Guid.Parse("00000000-0000-0000-0000-00000000000c");

    [Test]
    public void Plain_rrf_rewards_agreement_and_reports_sources()
    {
        var fused = RankFusion.Fuse([new(A, 9), new(B, 5)], [new(B, 0.9), new(C, 0.8)], 1, 1);

        Assert.That(fused.Select(f => f.Id), Is.EqualTo(new[] { B, A, C }));
        Assert.That(fused.Select(f => f.MatchedBy), Is.EqualTo(new[] { MatchSources.Both, MatchSources.Keyword, MatchSources.Semantic }));
        Assert.That(fused[0].KeywordScore, Is.EqualTo(5));
        Assert.That(fused[0].SemanticScore, Is.EqualTo(0.9));
    }

    [Test]
    public void Zero_semantic_weight_keeps_keyword_order_and_appends_semantic_only_matches()
    {
        var fused = RankFusion.Fuse([new(A, 9), new(B, 5)], [new(C, 0.9), new(B, 0.8)], 1, 0);

        Assert.That(fused.Select(f => f.Id), Is.EqualTo(new[] { A, B, C }));
        Assert.That(fused[0].Score, Is.EqualTo(1.0).Within(1e-12));
        Assert.That(fused[1].MatchedBy, Is.EqualTo(MatchSources.Both));
    }
}
