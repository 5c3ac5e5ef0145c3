"""Perceptually uniform colour maps and the categorical label palette.

The five 256-entry tables (viridis, magma, plasma, inferno, cividis) are the single source of truth
for both the Python SVG renderer and the TypeScript canvas renderer: ``js/build.mjs`` reads the
block between the ``BEGIN TABLES`` / ``END TABLES`` markers of this file and bundles it into the
front end, and ``tests/test_colormaps.py`` checks that the built bundle holds identical tables.

Mapping a value to a colour (identical in Python and TypeScript)::

    t = clip((v - vmin) / (vmax - vmin), 0, 1)      # t = 0 when vmax <= vmin
    index = floor(t * 255 + 0.5)

Values are first cast to float32 (the precision the browser receives); NaN maps to ``NAN_COLOR``.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from ..validation import check_choice

__all__ = [
    "CATEGORICAL",
    "COLORMAPS",
    "NAN_COLOR",
    "colormap_table",
    "colors_for_values",
    "hex_color",
    "label_colors",
    "value_indices",
]

COLORMAPS: tuple[str, ...] = ("viridis", "magma", "plasma", "inferno", "cividis")

#: Colour of neurons without a value (e.g. quality map of a neuron with no hits).
NAN_COLOR = "#d9d9d9"

#: Categorical palette for labels (Tableau 10, then 10 lighter companions); cycles beyond 20.
CATEGORICAL: tuple[str, ...] = (
    # BEGIN CATEGORICAL
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
    "#a0cbe8", "#ffbe7d", "#ff9d9a", "#8cd17d", "#b6992d",
    "#f1ce63", "#d4a6c8", "#fabfd2", "#d7b5a6", "#79706e",
    # END CATEGORICAL
)

# 256 colours per map, each as six hex digits (RGB), concatenated.
_TABLES_HEX: dict[str, str] = {
    # BEGIN TABLES
    "viridis": (
        "44015444025544035745055845065a45085b46095c460b5e460c5f460e61470f62471163471265471466"
        "47156747166947186a48196b481a6c481c6e481d6f481e70482071482172482273482374472575472676"
        "472777472878472a79472b7a472c7b462d7c462f7c46307d46317e45327f45347f453580453681443781"
        "443982433a83433b83433c84423d84423e854240854141864142864043874044873f45873f47883e4888"
        "3e49893d4a893d4b893d4c893c4d8a3c4e8a3b508a3b518a3a528b3a538b39548b39558b38568b38578c"
        "37588c37598c365a8c365b8c355c8c355d8c345e8d345f8d33608d33618d32628d32638d31648d31658d"
        "31668d30678d30688d2f698d2f6a8d2e6b8e2e6c8e2e6d8e2d6e8e2d6f8e2c708e2c718e2c728e2b738e"
        "2b748e2a758e2a768e2a778e29788e29798e287a8e287a8e287b8e277c8e277d8e277e8e267f8e26808e"
        "26818e25828e25838d24848d24858d24868d23878d23888d23898d22898d228a8d228b8d218c8d218d8c"
        "218e8c208f8c20908c20918c1f928c1f938b1f948b1f958b1f968b1e978a1e988a1e998a1e998a1e9a89"
        "1e9b891e9c891e9d881e9e881e9f881ea0871fa1871fa2861fa38620a48520a58521a68521a78422a784"
        "23a88323a98224aa8225ab8126ac8127ad8028ae7f29af7f2ab07e2bb17d2cb17d2eb27c2fb37b30b47a"
        "32b57a33b67935b77836b87738b97639b9763bba753dbb743ebc7340bd7242be7144be7045bf6f47c06e"
        "49c16d4bc26c4dc26b4fc36951c46853c56755c66657c66559c7645bc8625ec96160c96062ca5f64cb5d"
        "67cc5c69cc5b6bcd596dce5870ce5672cf5574d05477d05279d1517cd24f7ed24e81d34c83d34b86d449"
        "88d5478bd5468dd64490d64392d74195d73f97d83e9ad83c9dd93a9fd938a2da37a5da35a7db33aadb32"
        "addc30afdc2eb2dd2cb5dd2bb7dd29bade27bdde26bfdf24c2df22c5df21c7e01fcae01ecde01dcfe11c"
        "d2e11bd4e11ad7e219dae218dce218dfe318e1e318e4e318e7e419e9e419ece41aeee51bf1e51cf3e51e"
        "f6e61ff8e621fae622fde724"
    ),
    "magma": (
        "00000300000400000601000701010901010b02020d02020f03031104031304041505041706051907051b"
        "08061d09071f0a07220b08240c09260d0a280e0a2a0f0b2c100c2f110c31120d33140d35150e38160e3a"
        "170f3c180f3f1a10411b10441c10461e10491f114b20114d2211502311522511552611572811592a115c"
        "2b115e2d10602f1062301065321067341068350f6a370f6c390f6e3b0f6f3c0f713e0f72400f73420f74"
        "430f75450f76470f774810784a10794b10794d117a4f117b50127b52127c53137c55137d57147d58157e"
        "5a157e5b167e5d177e5e177f60187f61187f63197f651a80661a80681b80691c806b1c806c1d806e1e81"
        "6f1e81711f81731f817420817621817721817922817a22817c23817e24817f2481812581822581842681"
        "8526818727818928818a28818c29808d29808f2a80912a80922b80942b80952c80972c7f992d7f9a2d7f"
        "9c2e7f9e2e7e9f2f7ea12f7ea3307ea4307da6317da7317da9327cab337cac337bae347bb0347bb1357a"
        "b3357ab53679b63679b83778b93778bb3877bd3977be3976c03a75c23a75c33b74c53c74c63c73c83d72"
        "ca3e72cb3e71cd3f70ce4070d0416fd1426ed3426dd4436dd6446cd7456bd9466ada4769dc4869dd4968"
        "de4a67e04b66e14c66e24d65e44e64e55063e65162e75262e85461ea5560eb5660ec585fed595fee5b5e"
        "ee5d5def5e5df0605df1615cf2635cf3655cf3675bf4685bf56a5bf56c5bf66e5bf6705bf7715bf7735c"
        "f8755cf8775cf9795cf97b5df97d5dfa7f5efa805efa825ffb8460fb8660fb8861fb8a62fc8c63fc8e63"
        "fc9064fc9265fc9366fd9567fd9768fd9969fd9b6afd9d6bfd9f6cfda16efda26ffda470fea671fea873"
        "feaa74feac75feae76feaf78feb179feb37bfeb57cfeb77dfeb97ffebb80febc82febe83fec085fec286"
        "fec488fec689fec78bfec98dfecb8efdcd90fdcf92fdd193fdd295fdd497fdd698fdd89afdda9cfddc9d"
        "fddd9ffddfa1fde1a3fce3a5fce5a6fce6a8fce8aafceaacfcecaefceeb0fcf0b1fcf1b3fcf3b5fcf5b7"
        "fbf7b9fbf9bbfbfabdfbfcbf"
    ),
    "plasma": (
        "0c078610078713068915068a18068b1b068c1d068d1f058e21058f2305902505912705922905932b0594"
        "2d04942f04953104963304973404983604983804993a049a3b039a3d039b3f039c40039c42039d44039e"
        "45039e47029f49029f4a02a04c02a14e02a14f02a25101a25201a35401a35601a35701a45901a45a00a5"
        "5c00a55e00a55f00a66100a66200a66400a76500a76700a76800a76a00a76c00a86d00a86f00a87000a8"
        "7200a87300a87500a87601a87801a87901a87b02a87c02a77e03a77f03a78104a78204a78405a68506a6"
        "8607a68807a58908a58b09a48c0aa48e0ca48f0da3900ea3920fa29310a19511a19612a09713a099149f"
        "9a159e9b179e9d189d9e199c9f1a9ba01b9ba21c9aa31d99a41e98a51f97a72197a82296a92395aa2494"
        "ac2593ad2692ae2791af2890b02a8fb12b8fb22c8eb42d8db52e8cb62f8bb7308ab83289b93388ba3487"
        "bb3586bc3685bd3784be3883bf3982c03b81c13c80c23d80c33e7fc43f7ec5407dc6417cc7427bc8447a"
        "c94579ca4678cb4777cc4876cd4975ce4a75cf4b74d04d73d14e72d14f71d25070d3516fd4526ed5536d"
        "d6556dd7566cd7576bd8586ad95969da5a68db5b67dc5d66dc5e66dd5f65de6064df6163df6262e06461"
        "e16560e26660e3675fe3685ee46a5de56b5ce56c5be66d5ae76e5ae87059e87158e97257ea7356ea7455"
        "eb7654ec7754ec7853ed7952ed7b51ee7c50ef7d4fef7e4ef0804df0814df1824cf2844bf2854af38649"
        "f38748f48947f48a47f58b46f58d45f68e44f68f43f69142f79241f79341f89540f8963ff8983ef9993d"
        "f99a3cfa9c3bfa9d3afa9f3afaa039fba238fba337fba436fca635fca735fca934fcaa33fcac32fcad31"
        "fdaf31fdb030fdb22ffdb32efdb52dfdb62dfdb82cfdb92bfdbb2bfdbc2afdbe29fdc029fdc128fdc328"
        "fdc427fdc626fcc726fcc926fccb25fccc25fcce25fbd024fbd124fbd324fad524fad624fad824f9d924"
        "f9db24f8dd24f8df24f7e024f7e225f6e425f6e525f5e726f5e926f4ea26f3ec26f3ee26f2f026f2f126"
        "f1f326f0f525f0f623eff821"
    ),
    "inferno": (
        "00000300000400000601000701010901010b02010e02021003021204031404031605041806041b07051d"
        "08061f0906210a07230b07260d08280e082a0f092d10092f120a32130a34140b36160b39170b3b190b3e"
        "1a0b401c0c431d0c451f0c47200c4a220b4c240b4e260b50270b52290b542b0a562d0a582e0a5a300a5c"
        "32095d34095f3509603709613909623b09643c09653e0966400966410967430a68450a69460a69480b6a"
        "4a0b6a4b0c6b4d0c6b4f0d6c500d6c520e6c530e6d550f6d570f6d58106d5a116d5b116e5d126e5f126e"
        "60136e62146e63146e65156e66156e68166e6a176e6b176e6d186e6e186e70196e72196d731a6d751b6d"
        "761b6d781c6d7a1c6d7b1d6c7d1d6c7e1e6c801f6b811f6b83206b85206a86216a88216a8922698b2269"
        "8d23698e24689024689125679325679526669626669827659928649b28649c29639e2963a02a62a12b61"
        "a32b61a42c60a62c5fa72d5fa92e5eab2e5dac2f5cae305baf315bb1315ab23259b43358b53357b73456"
        "b83556ba3655bb3754bd3753be3852bf3951c13a50c23b4fc43c4ec53d4dc73e4cc83e4bc93f4acb4049"
        "cc4148cd4247cf4446d04544d14643d24742d44841d54940d64a3fd74b3ed94d3dda4e3bdb4f3adc5039"
        "dd5238de5337df5436e05634e25733e35832e45a31e55b30e65c2ee65e2de75f2ce8612be9622aea6428"
        "eb6527ec6726ed6825ed6a23ee6c22ef6d21f06f1ff0701ef1721df2741cf2751af37719f37918f47a16"
        "f57c15f57e14f68012f68111f78310f7850ef8870df8880cf88a0bf98c09f98e08f99008fa9107fa9306"
        "fa9506fa9706fb9906fb9b06fb9d06fb9e07fba007fba208fba40afba60bfba80dfbaa0efbac10fbae12"
        "fbb014fbb116fbb318fbb51afbb71cfbb91efabb21fabd23fabf25fac128f9c32af9c52cf9c72ff8c931"
        "f8cb34f8cd37f7cf3af7d13cf6d33ff6d542f5d745f5d948f4db4bf4dc4ff3de52f3e056f3e259f2e45d"
        "f2e660f1e864f1e968f1eb6cf1ed70f1ee74f1f079f1f27df2f381f2f485f3f689f4f78df5f891f6fa95"
        "f7fb99f9fc9dfafda0fcfea4"
    ),
    "cividis": (
        "00204c00204e00215000225100235300235500245600255800265a00265b00275d00285f002861002963"
        "002a64002a66002b68002c6a002d6c002d6d002e6e002e6f002f6f002f6f00306f00316f00316f00326e"
        "00336e00346e00346e01356e06366e0a376d0e376d12386d15396d17396d1a3a6c1c3b6c1e3c6c203c6c"
        "223d6c243e6c263e6c273f6c29406b2b416b2c416b2e426b2f436b31446b32446b33456b35466b36466b"
        "37476b38486b3a496b3b496b3c4a6b3d4b6b3e4b6b404c6b414d6b424e6b434e6b444f6b45506b46506b"
        "47516b48526b49536b4a536b4b546b4c556b4d556b4e566b4f576c50586c51586c52596c535a6c545a6c"
        "555b6c565c6c575d6d585d6d595e6d5a5f6d5b5f6d5c606d5d616e5e626e5f626e5f636e60646e61656f"
        "62656f63666f64676f65676f666870676970686a70686a70696b716a6c716b6d716c6d726d6e726e6f72"
        "6f6f726f70737071737172737272747373747474757575757575757676767777767878767978777a7977"
        "7b7a777b7b787c7b787d7c787e7d787f7e78807e78817f78828078838178848178858278868378878478"
        "8885788985788a86788b87788c88788d88788e89788f8a78908b78918c78928c78938d78948e78958f78"
        "968f779790779891779992779a93779b93779c94779d95779e96769f9776a09876a19876a29976a39a75"
        "a49b75a59c75a69c75a79d75a89e74a99f74aaa074aba174aca173ada273aea373afa473b0a572b1a672"
        "b2a672b4a771b5a871b6a971b7aa70b8ab70b9ab70baac6fbbad6fbcae6ebdaf6ebeb06ebfb16dc0b16d"
        "c1b26cc2b36cc3b46cc5b56bc6b66bc7b76ac8b86ac9b869cab969cbba68ccbb68cdbc67cebd67d0be66"
        "d1bf66d2c065d3c065d4c164d5c263d6c363d7c462d8c561d9c661dbc760dcc860ddc95fdeca5edfcb5d"
        "e0cb5de1cc5ce3cd5be4ce5be5cf5ae6d059e7d158e8d257e9d356ebd456ecd555edd654eed753efd852"
        "f0d951f1da50f3db4ff4dc4ef5dd4df6de4cf7df4bf9e049fae048fbe147fce246fde345ffe443ffe542"
        "ffe642ffe743ffe844ffe945"
    ),
    # END TABLES
}


@cache
def _table(name: str) -> np.ndarray:
    raw = bytes.fromhex(_TABLES_HEX[name])
    table = np.frombuffer(raw, dtype=np.uint8).reshape(256, 3).copy()
    table.flags.writeable = False
    return table


def colormap_table(name: str = "viridis") -> np.ndarray:
    """Return the colour map ``name`` as a read-only ``(256, 3)`` uint8 RGB table.

    Parameters
    ----------
    name : str
        One of ``COLORMAPS``.
    """
    return _table(check_choice("colormap", name, COLORMAPS))


def value_indices(values: np.ndarray, vmin: float, vmax: float) -> np.ndarray:
    """Colour-table index (0..255) of every value; -1 where the value is NaN.

    Parameters
    ----------
    values : array-like
        Values, cast to float32 first (the precision the browser receives).
    vmin, vmax : float
        The values mapped to the first and the last table entry.
    """
    v = np.asarray(values, dtype=np.float32).astype(np.float64)
    span = float(vmax) - float(vmin)
    with np.errstate(invalid="ignore"):
        t = (v - float(vmin)) / span if span > 0 else np.zeros_like(v)
        idx = np.floor(np.clip(t, 0.0, 1.0) * 255.0 + 0.5)
    return np.where(np.isnan(v), -1, idx).astype(np.int64)


def hex_color(rgb: np.ndarray | tuple[int, int, int]) -> str:
    """``(r, g, b)`` -> ``"#rrggbb"``."""
    r, g, b = (int(c) for c in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def colors_for_values(
    values: np.ndarray, vmin: float, vmax: float, colormap: str = "viridis"
) -> list[str]:
    """Hex colour of every value (``NAN_COLOR`` for NaN), exactly as the front end draws it."""
    table = colormap_table(colormap)
    return [NAN_COLOR if i < 0 else hex_color(table[i]) for i in value_indices(values, vmin, vmax)]


def lightness(rgb: np.ndarray | tuple[int, int, int]) -> float:
    """CIE L* (0..100) of an sRGB colour (the front end's ``lightness``)."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    y = float(0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2])
    f = y ** (1.0 / 3.0) if y > 216 / 24389 else (24389 / 27 * y + 16) / 116
    return 116.0 * f - 16.0


def text_color_on(fill: str) -> str:
    """``"#000"`` or ``"#fff"``, whichever reads better on ``fill`` (``"#rrggbb"``), exactly as
    the front end's ``textOn``."""
    if not (fill.startswith("#") and len(fill) == 7):
        return "#000"
    rgb = tuple(int(fill[i:i + 2], 16) for i in (1, 3, 5))
    return "#000" if lightness(rgb) > 55 else "#fff"


def label_colors(n: int) -> list[str]:
    """The first ``n`` categorical colours (cycling through ``CATEGORICAL``)."""
    return [CATEGORICAL[i % len(CATEGORICAL)] for i in range(int(n))]
