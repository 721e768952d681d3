/* chem_qed.c — QED (Bickerton et al. 2012) exactly as RDKit 2022.09's rdkit/Chem/QED.py
 * computes it, with its SMARTS lists, ADS parameters and mean weights copied verbatim.
 *
 * The eight properties: MW, ALOGP, HBD, PSA, ROTB come from cv_chem_rd_descriptors (RDKit's
 * own calculators); HBA = the sum over the acceptor SMARTS of their uniquified match
 * counts; ALERTS = how many structural-alert SMARTS match at least once; AROM = the SSSR
 * ring count after deleting the atoms matched by the aliphatic-ring pattern. The 128
 * SMARTS are parsed once, on first use (pthread_once), into one read-only pattern set in
 * the order acceptors, alerts, aliphatic-ring pattern; after that one-time
 * initialisation nothing here changes, so any number of threads may score at once.
 *
 * QED.py applies Chem.RemoveHs first; molecules reach here from get_mol, which already
 * removed the same hydrogens with the same defaults, so that step is a no-op and skipped.
 * The arithmetic follows QED.ads and QED.qed operation by operation (same libm exp/log,
 * same summation order), so results agree with Python to the last bits. */
#include <math.h>
#include <pthread.h>
#include <stddef.h>

#include "chem_internal.h"

static const char *const QED_ACCEPTOR_SMARTS[] = {
    "[oH0;X2]",
    "[OH1;X2;v2]",
    "[OH0;X2;v2]",
    "[OH0;X1;v2]",
    "[O-;X1]",
    "[SH0;X2;v2]",
    "[SH0;X1;v2]",
    "[S-;X1]",
    "[nH0;X2]",
    "[NH0;X1;v3]",
    "[$([N;+0;X3;v3]);!$(N[C,S]=O)]",
};

static const char *const QED_ALERT_SMARTS[] = {
    "*1[O,S,N]*1",
    "[S,C](=[O,S])[F,Br,Cl,I]",
    "[CX4][Cl,Br,I]",
    "[#6]S(=O)(=O)O[#6]",
    "[$([CH]),$(CC)]#CC(=O)[#6]",
    "[$([CH]),$(CC)]#CC(=O)O[#6]",
    "n[OH]",
    "[$([CH]),$(CC)]#CS(=O)(=O)[#6]",
    "C=C(C=O)C=O",
    "n1c([F,Cl,Br,I])cccc1",
    "[CH1](=O)",
    "[#8][#8]",
    "[C;!R]=[N;!R]",
    "[N!R]=[N!R]",
    "[#6](=O)[#6](=O)",
    "[#16][#16]",
    "[#7][NH2]",
    "C(=O)N[NH2]",
    "[#6]=S",
    "[$([CH2]),$([CH][CX4]),$(C([CX4])[CX4])]=[$([CH2]),$([CH][CX4]),$(C([CX4])[CX4])]",
    "C1(=[O,N])C=CC(=[O,N])C=C1",
    "C1(=[O,N])C(=[O,N])C=CC=C1",
    "a21aa3a(aa1aaaa2)aaaa3",
    "a31a(a2a(aa1)aaaa2)aaaa3",
    "a1aa2a3a(a1)A=AA=A3=AA=A2",
    "c1cc([NH2])ccc1",
    "[Hg,Fe,As,Sb,Zn,Se,se,Te,B,Si,Na,Ca,Ge,Ag,Mg,K,Ba,Sr,Be,Ti,Mo,Mn,Ru,Pd,Ni,Cu,Au,Cd,Al,Ga,Sn,"
    "Rh,Tl,Bi,Nb,Li,Pb,Hf,Ho]",
    "I",
    "OS(=O)(=O)[O-]",
    "[N+](=O)[O-]",
    "C(=O)N[OH]",
    "C1NC(=O)NC(=O)1",
    "[SH]",
    "[S-]",
    "c1ccc([Cl,Br,I,F])c([Cl,Br,I,F])c1[Cl,Br,I,F]",
    "c1cc([Cl,Br,I,F])cc([Cl,Br,I,F])c1[Cl,Br,I,F]",
    "[CR1]1[CR1][CR1][CR1][CR1][CR1][CR1]1",
    "[CR1]1[CR1][CR1]cc[CR1][CR1]1",
    "[CR2]1[CR2][CR2][CR2][CR2][CR2][CR2][CR2]1",
    "[CR2]1[CR2][CR2]cc[CR2][CR2][CR2]1",
    "[CH2R2]1N[CH2R2][CH2R2][CH2R2][CH2R2][CH2R2]1",
    "[CH2R2]1N[CH2R2][CH2R2][CH2R2][CH2R2][CH2R2][CH2R2]1",
    "C#C",
    "[OR2,NR2]@[CR2]@[CR2]@[OR2,NR2]@[CR2]@[CR2]@[OR2,NR2]",
    "[$([N+R]),$([n+R]),$([N+]=C)][O-]",
    "[#6]=N[OH]",
    "[#6]=NOC=O",
    "[#6](=O)[CX4,CR0X3,O][#6](=O)",
    "c1ccc2c(c1)ccc(=O)o2",
    "[O+,o+,S+,s+]",
    "N=C=O",
    "[NX3,NX4][F,Cl,Br,I]",
    "c1ccccc1OC(=O)[#6]",
    "[CR0]=[CR0][CR0]=[CR0]",
    "[C+,c+,C-,c-]",
    "N=[N+]=[N-]",
    "C12C(NC(N1)=O)CSC2",
    "c1c([OH])c([OH,NH2,NH])ccc1",
    "P",
    "[N,O,S]C#N",
    "C=C=O",
    "[Si][F,Cl,Br,I]",
    "[SX2]O",
    "[SiR0,CR0](c1ccccc1)(c2ccccc2)(c3ccccc3)",
    "O1CCCCC1OC2CCC3CCCCC3C2",
    "N=[CR0][N,n,O,S]",
    "[cR2]1[cR2][cR2]([Nv3X3,Nv4X4])[cR2][cR2][cR2]1[cR2]2[cR2][cR2][cR2]([Nv3X3,Nv4X4])[cR2][cR2]"
    "2",
    "C=[C!r]C#N",
    "[cR2]1[cR2]c([N+0X3R0,nX3R0])c([N+0X3R0,nX3R0])[cR2][cR2]1",
    "[cR2]1[cR2]c([N+0X3R0,nX3R0])[cR2]c([N+0X3R0,nX3R0])[cR2]1",
    "[cR2]1[cR2]c([N+0X3R0,nX3R0])[cR2][cR2]c1([N+0X3R0,nX3R0])",
    "[OH]c1ccc([OH,NH2,NH])cc1",
    "c1ccccc1OC(=O)O",
    "[SX2H0][N]",
    "c12ccccc1(SC(S)=N2)",
    "c12ccccc1(SC(=S)N2)",
    "c1nnnn1C=O",
    "s1c(S)nnc1NC=O",
    "S1C=CSC1=S",
    "C(=O)Onnn",
    "OS(=O)(=O)C(F)(F)F",
    "N#CC[OH]",
    "N#CC(=O)",
    "S(=O)(=O)C#N",
    "N[CH2]C#N",
    "C1(=O)NCC1",
    "S(=O)(=O)[O-,OH]",
    "NC[F,Cl,Br,I]",
    "C=[C!r]O",
    "[NX2+0]=[O+0]",
    "[OR0,NR0][OR0,NR0]",
    "C(=O)O[C,H1].C(=O)O[C,H1].C(=O)O[C,H1]",
    "[CX2R0][NX3R0]",
    "c1ccccc1[C;!R]=[C;!R]c2ccccc2",
    "[NX3R0,NX4R0,OR0,SX2R0][CX4][NX3R0,NX4R0,OR0,SX2R0]",
    "[s,S,c,C,n,N,o,O]~[n+,N+](~[s,S,c,C,n,N,o,O])(~[s,S,c,C,n,N,o,O])~[s,S,c,C,n,N,o,O]",
    "[s,S,c,C,n,N,o,O]~[nX3+,NX3+](~[s,S,c,C,n,N])~[s,S,c,C,n,N]",
    "[*]=[N+]=[*]",
    "[SX3](=O)[O-,OH]",
    "N#N",
    "F.F.F.F",
    "[R0;D2][R0;D2][R0;D2][R0;D2]",
    "[cR,CR]~C(=O)NC(=O)~[cR,CR]",
    "C=!@CC=[O,S]",
    "[#6,#8,#16][#6](=O)O[#6]",
    "c[C;R0](=[O,S])[#6]",
    "c[SX2][C;!R]",
    "C=C=C",
    "c1nc([F,Cl,Br,I,S])ncc1",
    "c1ncnc([F,Cl,Br,I,S])c1",
    "c1nc(c2c(n1)nc(n2)[F,Cl,Br,I])",
    "[#6]S(=O)(=O)c1ccc(cc1)F",
    "[15N]",
    "[13C]",
    "[18O]",
    "[34S]",
};

static const char *const QED_ALIPHATIC_RINGS = "[$([A;R][!a])]";

#define N_ACCEPTORS (sizeof QED_ACCEPTOR_SMARTS / sizeof QED_ACCEPTOR_SMARTS[0])
#define N_ALERTS (sizeof QED_ALERT_SMARTS / sizeof QED_ALERT_SMARTS[0])
#define N_PATTERNS (N_ACCEPTORS + N_ALERTS + 1)

/* QED.adsParameters in QEDproperties order: A, B, C, D, E, F, DMAX. */
enum { QED_MW, QED_ALOGP, QED_HBA, QED_HBD, QED_PSA, QED_ROTB, QED_AROM, QED_ALERTS, QED_NPROP };
static const double QED_ADS[QED_NPROP][7] = {
    {2.817065973, 392.5754953, 290.7489764, 2.419764353, 49.22325677, 65.37051707,
     104.9805561}, /* MW */
    {3.172690585, 137.8624751, 2.534937431, 4.581497897, 0.822739154, 0.576295591,
     131.3186604}, /* ALOGP */
    {2.948620388, 160.4605972, 3.615294657, 4.435986202, 0.290141953, 1.300669958,
     148.7763046},                                                                         /* HBA */
    {1.618662227, 1010.051101, 0.985094388, 1e-09, 0.713820843, 0.920922555, 258.1632616}, /* HBD */
    {1.876861559, 125.2232657, 62.90773554, 87.83366614, 12.01999824, 28.51324732,
     104.5686167},                                                                       /* PSA */
    {0.01, 272.4121427, 2.55837997, 1.565547684, 1.271567166, 2.758063707, 105.4420403}, /* ROTB */
    {3.21778897, 957.7374108, 2.274627939, 1e-09, 1.317690384, 0.375760881, 312.337261}, /* AROM */
    {0.01, 1199.094025, -0.09002883, 1e-09, 0.185904477, 0.875193782, 417.725314}, /* ALERTS */
};
/* QED.WEIGHT_MEAN, the weights QED.qed uses by default. */
static const double QED_WEIGHTS[QED_NPROP] = {0.66, 0.46, 0.05, 0.61, 0.06, 0.65, 0.48, 0.95};

static pthread_once_t qed_once = PTHREAD_ONCE_INIT;
static ChemRdPatterns *qed_patterns; /* written once under qed_once, then read-only */
static size_t qed_bad_pattern;

static void qed_init(void) {
    const char *all[N_PATTERNS];
    size_t k = 0;
    for (size_t i = 0; i < N_ACCEPTORS; i++) all[k++] = QED_ACCEPTOR_SMARTS[i];
    for (size_t i = 0; i < N_ALERTS; i++) all[k++] = QED_ALERT_SMARTS[i];
    all[k++] = QED_ALIPHATIC_RINGS;
    qed_patterns = cv_chem_rd_patterns_new(all, k, &qed_bad_pattern);
}

/* QED.ads: the asymmetric double sigmoid, normalised by its maximum. */
static double qed_ads(double x, const double p[7]) {
    double exp1 = 1 + exp(-1 * (x - p[2] + p[3] / 2) / p[4]);
    double exp2 = 1 + exp(-1 * (x - p[2] - p[3] / 2) / p[5]);
    double dx = p[0] + p[1] / exp1 * (1 - 1 / exp2);
    return dx / p[6];
}

CvStatus cv_chem_qed_compute(const ChemRdMol *m, const ChemRdDescriptors *d, double *qed,
                             CvError *err) {
    pthread_once(&qed_once, qed_init);
    if (!qed_patterns)
        return cv_error_set(err, CV_ERR_CHEM, "QED: RDKit cannot parse SMARTS pattern %zu",
                            qed_bad_pattern);
    double prop[QED_NPROP];
    int hba = 0, alerts = 0;
    for (size_t i = 0; i < N_ACCEPTORS; i++) {
        int n = cv_chem_rd_count_matches(m, qed_patterns, i, 1000);
        if (n < 0) goto rdkit_fail;
        hba += n;
    }
    for (size_t i = 0; i < N_ALERTS; i++) {
        int n = cv_chem_rd_count_matches(m, qed_patterns, N_ACCEPTORS + i, 1);
        if (n < 0) goto rdkit_fail;
        alerts += n > 0;
    }
    int arom = cv_chem_rd_rings_without_matches(m, qed_patterns, N_PATTERNS - 1);
    if (arom < 0) goto rdkit_fail;
    prop[QED_MW] = d->mw;
    prop[QED_ALOGP] = d->logp;
    prop[QED_HBA] = hba;
    prop[QED_HBD] = d->hbd;
    prop[QED_PSA] = d->tpsa;
    prop[QED_ROTB] = d->rotb_strict;
    prop[QED_AROM] = arom;
    prop[QED_ALERTS] = alerts;
    double t = 0, wsum = 0;
    for (int i = 0; i < QED_NPROP; i++) t += QED_WEIGHTS[i] * log(qed_ads(prop[i], QED_ADS[i]));
    for (int i = 0; i < QED_NPROP; i++) wsum += QED_WEIGHTS[i];
    *qed = exp(t / wsum);
    return CV_OK;
rdkit_fail:
    return cv_error_set(err, CV_ERR_CHEM, "QED: RDKit substructure matching failed");
}
