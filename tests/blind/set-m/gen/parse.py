import sys
def parse(path):
    out=[]; cur={}
    for raw in open(path,encoding='utf-8'):
        line=raw.rstrip('\n')
        if line.startswith('#'): continue
        if line.startswith('T: '):
            assert not cur, (path, line); cur={'text':line[3:].strip()}
        elif line.startswith('E: '):
            cur['entry']=line[3:].strip()
        elif line.startswith('N: '):
            cur['note']=line[3:].strip(); out.append(cur); cur={}
        elif line.strip()=='' : continue
        else: raise SystemExit(f'bad line in {path}: {line!r}')
    assert not cur
    return out
if __name__=='__main__':
    for p in sys.argv[1:]:
        r=parse(p); v=sum('Clinical vignette' in x['note'] for x in r)
        print(p,len(r),'vignettes',v)
