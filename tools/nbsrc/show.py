import json,sys
nb=json.load(open(sys.argv[1]))
for i,c in enumerate(nb['cells']):
    if c['cell_type']!='code': continue
    print(f'--- [{i}]')
    for o in c['outputs']:
        if o['output_type']=='stream': t=''.join(o['text']); print(t[-2500:])
        elif o['output_type']=='error': print('ERROR', o['ename'], o['evalue'])
        elif 'data' in o: print(list(o['data'].keys()), str(o['data'].get('text/plain',''))[:200])
