using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SessionBuddy.ServiceDefaults.Configuration;
using RangeAttribute = System.ComponentModel.DataAnnotations.RangeAttribute;

namespace SessionBuddy.ServiceDefaults.Tests;

/// <summary>Every service binds its settings with AddValidatedOptions: a bad value stops start-up, naming its key.</summary>
[TestFixture]
public sealed class ValidatedOptionsTests
{
    [Test]
    public void AHostWithABadSettingRefusesToStartAndNamesEveryBadKey()
    {
        using var host = Host(new()
        {
            ["Things:Limit"] = "0",
            ["Things:Inner:Name"] = "",
            ["Things:Kinds:fast:Weight"] = "-1",
            ["Things:Secure"] = "true",
        });

        var refused = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync())!;

        Assert.That(refused.Failures, Is.EquivalentTo(new[]
        {
            "Things:Limit: The field Limit must be between 1 and 100.",
            "Things:Key: is required when Secure is true",
            "Things:Inner:Name: The Name field is required.",
            "Things:Kinds:fast:Weight: The field Weight must be between 0 and 10.",
        }));
    }

    [Test]
    public async Task GoodSettingsAreBoundAndDefaultsKept()
    {
        using var host = Host(new() { ["Things:Limit"] = "7", ["Things:Kinds:slow:Weight"] = "3" });
        await host.StartAsync();

        var things = host.Services.GetRequiredService<IOptions<Things>>().Value;
        Assert.Multiple(() =>
        {
            Assert.That(things.Limit, Is.EqualTo(7));
            Assert.That(things.Inner.Name, Is.EqualTo("default"));
            Assert.That(things.Kinds["slow"].Weight, Is.EqualTo(3));
        });
        await host.StopAsync();
    }

    [Test]
    public void ASettingReadBeforeTheContainerIsBuiltIsCheckedWithTheSameRulesAndMessages()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Things:Limit"] = "0",
            ["Things:Kinds:fast:Weight"] = "11",
        }).Build();

        var refused = Assert.Throws<OptionsValidationException>(() => configuration.GetValidatedOptions<Things>("Things"))!;

        Assert.That(refused.Failures, Is.EquivalentTo(new[]
        {
            "Things:Limit: The field Limit must be between 1 and 100.",
            "Things:Kinds:fast:Weight: The field Weight must be between 0 and 10.",
        }));
        var good = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Things:Limit"] = "7" }).Build()
            .GetValidatedOptions<Things>("Things");
        Assert.That((good.Limit, good.Inner.Name), Is.EqualTo((7, "default")));
    }

    private static IHost Host(Dictionary<string, string?> settings)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddValidatedOptions<Things>("Things");
        return builder.Build();
    }

    public sealed class Things : IValidatableObject
    {
        [Range(1, 100)]
        public int Limit { get; set; } = 10;

        public bool Secure { get; set; }

        public string? Key { get; set; }

        public Inner Inner { get; set; } = new();

        public Dictionary<string, Kind> Kinds { get; set; } = [];

        public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
        {
            if (Secure && string.IsNullOrEmpty(Key))
            {
                yield return new ValidationResult("is required when Secure is true", [nameof(Key)]);
            }
        }
    }

    public sealed class Inner
    {
        [Required]
        public string Name { get; set; } = "default";
    }

    public sealed class Kind
    {
        [Range(0, 10)]
        public int Weight { get; set; }
    }
}
