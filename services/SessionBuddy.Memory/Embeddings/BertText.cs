using System.Globalization;
using System.Text;

namespace SessionBuddy.Memory.Embeddings;

/// <summary>
/// BERT's uncased text clean-up before WordPiece: lower case, accents removed (NFD, then combining marks
/// dropped), so "Café" meets the vocabulary's "cafe". Done here with a table rather than
/// <see cref="string.Normalize()"/>, because the suite runs with invariant globalization, where
/// decomposition is unavailable and accented words would become [UNK].
/// </summary>
public static class BertText
{
    // Every lower-case BMP letter whose canonical decomposition is one base letter plus combining marks
    // (Latin, Greek, Cyrillic), mapped to that base letter; generated from the Unicode data.
    private const string Accented =
        "àáâãäåçèéêëìíîïñòóôõöùúûüýÿāăąćĉċčďēĕėęěĝğġģĥĩīĭįĵķĺļľńņňōŏő"
        + "ŕŗřśŝşšţťũūŭůűųŵŷźżžơưǎǐǒǔǖǘǚǜǟǡǣǧǩǫǭǯǰǵǹǻǽǿȁȃȅȇȉȋȍȏȑȓȕȗșțȟȧ"
        + "ȩȫȭȯȱȳʹ;΅·ΐάέήίΰϊϋόύώϓϔйѐёѓїќѝўѷӂӑӓӗӛӝӟӣӥӧӫӭӯӱӳӵӹآأؤإئۀۂۓऩऱऴ"
        + "क़ख़ग़ज़ड़ढ़फ़य़ড়ঢ়য়ਲ਼ਸ਼ਖ਼ਗ਼ਜ਼ਫ਼ୈଡ଼ଢ଼ೀೇೈೊේགྷཌྷདྷབྷཛྷཀྵဦᬻᬽᭃḁḃḅḇḉḋḍḏḑḓḕḗḙḛḝḟḡḣḥḧḩḫḭḯḱ"
        + "ḳḵḷḹḻḽḿṁṃṅṇṉṋṍṏṑṓṕṗṙṛṝṟṡṣṥṧṩṫṭṯṱṳṵṷṹṻṽṿẁẃẅẇẉẋẍẏẑẓẕẖẗẘẙẛạảấầẩ"
        + "ẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹἀἁἂἃἄἅἆἇἐἑἒἓἔἕἠἡἢἣἤἥ"
        + "ἦἧἰἱἲἳἴἵἶἷὀὁὂὃὄὅὐὑὒὓὔὕὖὗὠὡὢὣὤὥὦὧὰάὲέὴήὶίὸόὺύὼώᾀᾁᾂᾃᾄᾅᾆᾇᾐᾑᾒᾓᾔᾕ"
        + "ᾖᾗᾠᾡᾢᾣᾤᾥᾦᾧᾰᾱᾲᾳᾴᾶᾷι῁ῂῃῄῆῇ῍῎῏ῐῑῒΐῖῗ῝῞῟ῠῡῢΰῤῥῦῧ῭΅`ῲῳῴῶῷ´";

    private const string Bare =
        "aaaaaaceeeeiiiinooooouuuuyyaaaccccdeeeeegggghiiiijklllnnnooo"
        + "rrrssssttuuuuuuwyzzzouaiouuuuuaaægkooʒjgnaæøaaeeiioorruustha"
        + "eooooyʹ;¨·ιαεηιυιυουωϒϒиеегікиуѵжааеәжзииоөэууучыااوايەہےनरळ"
        + "कखगजडढफयডঢযਲਸਖਗਜਫେଡଢೕೕೖೂෙགཌདབཛཀဥᬵᬵᬵabbbcdddddeeeeefghhhhhiik"
        + "kkllllmmmnnnnoooopprrrrsssssttttuuuuuvvwwwwwxxyzzzhtwyſaaaaa"
        + "aaaaaaaeeeeeeeeiioooooooooooouuuuuuuyyyyααααααααεεεεεεηηηηηη"
        + "ηηιιιιιιιιοοοοοουυυυυυυυωωωωωωωωααεεηηιιοουυωωααααααααηηηηηη"
        + "ηηωωωωωωωωαααααααι¨ηηηηη᾿᾿᾿ιιιιιι῾῾῾υυυυρρυυ¨¨`ωωωωω´";

    private static readonly Dictionary<char, char> BaseLetters = Accented.Zip(Bare).ToDictionary(p => p.First, p => p.Second);

    public static string Normalize(string text)
    {
        StringBuilder? builder = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var lower = char.ToLowerInvariant(c);
            char? replaced = CharUnicodeInfo.GetUnicodeCategory(lower) == UnicodeCategory.NonSpacingMark ? null
                : BaseLetters.TryGetValue(lower, out var bare) ? bare
                : lower;
            if (builder is null && replaced == c)
            {
                continue;
            }
            builder ??= new StringBuilder(text.Length).Append(text, 0, i);
            if (replaced is { } r)
            {
                builder.Append(r);
            }
        }
        return builder?.ToString() ?? text;
    }
}
