using System.Text;
using System.Xml.Linq;
using SixLabors.ImageSharp.Metadata.Profiles.Xmp;

namespace TextToImage.Diffusion.IO;

/// <summary>
/// Generation metadata as an XMP packet, for the formats without PNG's text chunks (WebP, JPEG):
/// the prompt as <c>dc:description</c> (what photo tools show as the caption) and all of it as JSON
/// in <c>t2i:parameters</c>, which <see cref="Read"/> reads back. XMP is UTF-8, so any prompt survives.
/// </summary>
static class XmpMetadata
{
    static readonly XNamespace X = "adobe:ns:meta/";
    static readonly XNamespace Rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
    static readonly XNamespace Dc = "http://purl.org/dc/elements/1.1/";
    static readonly XNamespace Xml = XNamespace.Xml;
    static readonly XNamespace T2i = "urn:texttoimage:generation:1";

    public static XmpProfile Write(GenerationMetadata metadata)
    {
        var description = new XElement(Rdf + "Description",
            new XAttribute(Rdf + "about", ""),
            new XAttribute(XNamespace.Xmlns + "dc", Dc),
            new XAttribute(XNamespace.Xmlns + "t2i", T2i),
            new XElement(Dc + "description",
                new XElement(Rdf + "Alt", new XElement(Rdf + "li", new XAttribute(Xml + "lang", "x-default"), metadata.Prompt))),
            new XElement(T2i + PngOutput.ParametersKey, GenerationMetadataJson.Write(metadata)));
        var root = new XElement(X + "xmpmeta", new XAttribute(XNamespace.Xmlns + "x", X),
            new XElement(Rdf + "RDF", new XAttribute(XNamespace.Xmlns + "rdf", Rdf), description));
        var packet = "<?xpacket begin=\"\uFEFF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>"
                     + root.ToString(SaveOptions.DisableFormatting) + "<?xpacket end=\"w\"?>";
        return new XmpProfile(new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(packet));
    }

    /// <summary>The metadata in an XMP packet written by <see cref="Write"/>; null for another packet or none.</summary>
    public static GenerationMetadata? Read(XmpProfile? profile)
    {
        if (profile is null) return null;
        XDocument? document;
        try
        {
            document = profile.GetDocument();
        }
        catch (System.Xml.XmlException)
        {
            return null;
        }
        var parameters = document?.Descendants(T2i + PngOutput.ParametersKey).FirstOrDefault();
        return parameters is null ? null : GenerationMetadataJson.TryRead(parameters.Value);
    }
}
